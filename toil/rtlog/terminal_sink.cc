// The terminal sink; see terminal_sink.h.
#include "toil/rtlog/terminal_sink.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace toil::rtlog {

TerminalSink::TerminalSink(int fd, ColorMode color)
    : writer_(fd, /*owns_fd=*/false, absl::StrCat("the terminal (fd ", fd, ")")) {
  const char* no_color = std::getenv("NO_COLOR");
  options_.color =
      color == ColorMode::kAlways ||
      (color == ColorMode::kAuto && isatty(fd) &&
       (no_color == nullptr || no_color[0] == '\0'));
}

void TerminalSink::Send(const LogEntry& entry) {
  internal::AppendRecordLine(entry.record(), entry.text_message(), options_,
                             &writer_.buffer(), entry.sender(),
                             entry.authenticity() == Authenticity::kUnsigned);
  writer_.MaybeFlush();
}

void TerminalSink::Flush() { writer_.Flush(); }

}  // namespace toil::rtlog
