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
#include "absl/time/time.h"
#include "toil/rtlog/base/level.h"

namespace toil::rtlog {

// Logs `text` at `level` under the logger name `logger_name`, when the level
// passes; returns whether it did. No source location is recorded.
bool LogLine(Level level, absl::string_view text, absl::string_view logger_name = "toil-rt");

// What became of a line offered to the log.
enum class LineFate { kBelowLevel, kQueued, kDropped };
// As LogLine, saying what became of the line: a caller that sees kDropped
// knows the queue is full and may shed what follows with CountDroppedLines.
LineFate OfferLine(Level level, absl::string_view text, absl::string_view logger_name);
// Counts `n` lines as dropped by the full queue, unoffered; the count
// reaches the leader with the others.
void CountDroppedLines(uint64_t n);

// For a program that logs what another process prints (`toil-rtlog exec`),
// called before its first record: records name process `pid`, called
// `name`, and this process writes no copy of them to its stderr (it writes
// the output itself, as it came).
void LogForProcess(int pid, absl::string_view name);

// How often this process's sender, while records come, takes the records
// queued since it last looked (0.5 ms by default; 1 us to 1 s): a process
// that logs many lines and can let them wait a little (exec) wakes less.
// A CRITICAL record, and the end of the process, wait at most one interval.
void SetSendInterval(absl::Duration interval);

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_LOG_LINE_H_
