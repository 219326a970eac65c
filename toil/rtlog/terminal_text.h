// Text from a job, made safe to print as one field of a terminal line (a
// job, host or process name in a table): control characters, C1 controls,
// bidirectional overrides and invalid UTF-8 are shown escaped, and so are
// newlines, carriage returns and tabs ("\n", "\r", "\t"), so that nobody
// who can send a record can print a line of their own or move the cursor.
//
//   std::printf("%-20s\n", toil::rtlog::TerminalField(sender.job()).c_str());
#ifndef TOIL_RTLOG_TERMINAL_TEXT_H_
#define TOIL_RTLOG_TERMINAL_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace toil::rtlog {

std::string TerminalField(absl::string_view text);

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_TERMINAL_TEXT_H_
