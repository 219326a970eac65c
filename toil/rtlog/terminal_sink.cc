// The terminal sink; see terminal_sink.h.
#include "toil/rtlog/terminal_sink.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "toil/rtlog/internal/common/line_format.h"
#include "toil/rtlog/internal/leader/fd_writer.h"

namespace toil::rtlog {

namespace {

// Whether a TTY on `fd` should get colour: NO_COLOR (https://no-color.org)
// unset or empty, and a terminal that is not "dumb".
bool WantsColor(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return isatty(fd) && (no_color == nullptr || no_color[0] == '\0') &&
         (term == nullptr || std::strcmp(term, "dumb") != 0);
}

internal::LineFormatOptions FormatFor(bool color, TimeStyle time) {
  internal::LineFormatOptions options;
  options.color = color;
  using Time = internal::LineFormatOptions::Time;
  options.time = time == TimeStyle::kUtc   ? Time::kIso8601Utc
                 : time == TimeStyle::kIso ? Time::kIso8601
                                           : Time::kTimeOfDay;
  return options;
}

}  // namespace

struct TerminalSink::State {
  State(int fd, internal::LineFormatOptions format)
      : writer(fd, /*owns_fd=*/false, absl::StrCat("the terminal (fd ", fd, ")")),
        options(std::move(format)) {}
  internal::FdWriter writer;
  internal::LineFormatOptions options;
};

TerminalSink::TerminalSink(int fd, ColorMode color, TimeStyle time) {
  const bool colored =
      color == ColorMode::kAlways || (color == ColorMode::kAuto && WantsColor(fd));
  state_ = std::make_unique<State>(fd, FormatFor(colored, time));
}

TerminalSink::~TerminalSink() = default;

void TerminalSink::Send(const LogEntry& entry) {
  internal::AppendRecordLine(entry.record(), entry.text_message(),
                             state_->options, &state_->writer.buffer(),
                             entry.sender(),
                             entry.authenticity() == Authenticity::kUnsigned);
  state_->writer.MaybeFlush();
}

void TerminalSink::Flush() { state_->writer.Flush(); }

uint64_t TerminalSink::lost_bytes() const { return state_->writer.lost_bytes(); }
uint64_t TerminalSink::lost_lines() const { return state_->writer.lost_lines(); }

}  // namespace toil::rtlog
