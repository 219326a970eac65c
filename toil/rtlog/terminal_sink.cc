// The terminal sink; see terminal_sink.h.
#include "toil/rtlog/terminal_sink.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "toil/rtlog/internal/common/line_format.h"
#include "toil/rtlog/internal/leader/fd_writer.h"

namespace toil::rtlog {

struct TerminalSink::State {
  State(int fd, bool color)
      : writer(fd, /*owns_fd=*/false, absl::StrCat("the terminal (fd ", fd, ")")) {
    options.color = color;
  }
  internal::FdWriter writer;
  internal::LineFormatOptions options;
};

TerminalSink::TerminalSink(int fd, ColorMode color) {
  const char* no_color = std::getenv("NO_COLOR");
  state_ = std::make_unique<State>(
      fd, color == ColorMode::kAlways ||
              (color == ColorMode::kAuto && isatty(fd) &&
               (no_color == nullptr || no_color[0] == '\0')));
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
