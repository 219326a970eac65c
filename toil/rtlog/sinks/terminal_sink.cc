// The terminal sink; see terminal_sink.h.
#include "toil/rtlog/sinks/terminal_sink.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "toil/rtlog/common/line_format.h"
#include "toil/rtlog/sinks/fd_writer.h"
#include "toil/rtlog/sinks/terminal_view.h"

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
  State(int fd, bool report_write_errors, internal::LineFormatOptions format,
        internal::TerminalViewOptions view_options)
      : writer(fd, /*owns_fd=*/false, absl::StrCat("the terminal (fd ", fd, ")"),
               report_write_errors),
        options(std::move(format)),
        view(std::move(view_options)) {}
  // Writes the view's notices due by `now`.
  void WriteNotices(absl::Time now, bool finish) {
    notices.clear();
    finish ? view.Finish(&notices) : view.Tick(now, &notices);
    for (const internal::TerminalNotice& notice : notices) {
      internal::AppendNoticeLine(now, notice.levelno, notice.label, notice.message, options,
                                 &writer.buffer());
    }
  }
  internal::FdWriter writer;
  internal::LineFormatOptions options;
  internal::TerminalView view;
  std::vector<internal::TerminalNotice> notices;
};

TerminalSink::TerminalSink(int fd, TerminalSinkOptions options) {
  const bool colored =
      options.color == ColorMode::kAlways || (options.color == ColorMode::kAuto && WantsColor(fd));
  state_ = std::make_unique<State>(
      fd, options.report_write_errors, FormatFor(colored, options.time),
      internal::TerminalViewOptions{.repeat_window = options.repeat_window,
                                    .job_lines_per_second = options.job_lines_per_second,
                                    .hidden_hint = std::move(options.hidden_hint)});
}

TerminalSink::~TerminalSink() {
  state_->WriteNotices(absl::Now(), /*finish=*/true);
  state_->writer.Flush();
}

void TerminalSink::Send(const LogEntry& entry) {
  const bool unsigned_record = entry.authenticity() == Authenticity::kUnsigned;
  const internal::TerminalView::Verdict verdict =
      state_->view.Admit(internal::RecordOf(entry), entry.text_message(), entry.sender(),
                         absl::Now(), unsigned_record);
  if (verdict != internal::TerminalView::Verdict::kShow) return;
  internal::AppendRecordLine(internal::RecordOf(entry), entry.text_message(), state_->options,
                             &state_->writer.buffer(), entry.sender(), unsigned_record);
  state_->writer.MaybeFlush();
}

void TerminalSink::Flush() {
  state_->WriteNotices(absl::Now(), /*finish=*/false);
  state_->writer.Flush();
}

uint64_t TerminalSink::lost_bytes() const { return state_->writer.lost_bytes(); }
uint64_t TerminalSink::lost_lines() const { return state_->writer.lost_lines(); }
uint64_t TerminalSink::folded() const { return state_->view.held(); }
uint64_t TerminalSink::not_shown() const { return state_->view.hidden(); }

}  // namespace toil::rtlog
