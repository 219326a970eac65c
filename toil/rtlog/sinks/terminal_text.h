// Text from a job, made safe to print on a terminal: control characters, C1
// controls, bidirectional overrides and invalid UTF-8 are shown escaped. For
// programs of their own that print what jobs sent (a table of senders, a
// report), as the leader's sinks do.
//
//   std::printf("%-20s\n", toil::rtlog::TerminalField(sender.job()).c_str());
#ifndef TOIL_RTLOG_SINKS_TERMINAL_TEXT_H_
#define TOIL_RTLOG_SINKS_TERMINAL_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace toil::rtlog {

// One field of a line (a job, host or process name): newlines, carriage
// returns and tabs are escaped too ("\n", "\r", "\t"), so that nobody who
// can send a record can print a line of their own or move the cursor.
std::string TerminalField(absl::string_view text);

// A message that may span lines: each newline starts a new line that begins
// with `indent`, so that it stays visibly one text.
std::string TerminalText(absl::string_view text, absl::string_view indent);

// How many characters (code points) `text` takes; for text made safe here.
size_t TerminalWidth(absl::string_view text);

// `text` cut to at most `width` characters, an ellipsis marking the cut.
std::string TerminalCut(absl::string_view text, size_t width);

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_SINKS_TERMINAL_TEXT_H_
