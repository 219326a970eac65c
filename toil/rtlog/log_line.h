// LogLine: one finished line of text as one record, for programs whose
// messages are not C++ statements (`toil-rtlog send`, a wrapper around a
// shell script). Same environment, same level gate, same path to the
// job's stderr and the leader as RT_LOG.
//
//   toil::rtlog::LogLine(toil::rtlog::Level::kWarning, "disk 90% full",
//                        "backup.sh");
#ifndef TOIL_RTLOG_LOG_LINE_H_
#define TOIL_RTLOG_LOG_LINE_H_

#include "absl/strings/string_view.h"
#include "toil/rtlog/base/level.h"

namespace toil::rtlog {

// Logs `text` at `level` under the logger name `logger_name`, when the level
// passes; returns whether it did. No source location is recorded.
bool LogLine(Level level, absl::string_view text, absl::string_view logger_name = "toil-rt");

// For a program that logs what another process prints (`toil-rtlog exec`),
// called before its first record: records name process `pid`, called
// `name`, and this process writes no copy of them to its stderr (it writes
// the output itself, as it came).
void LogForProcess(int pid, absl::string_view name);

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_LOG_LINE_H_
