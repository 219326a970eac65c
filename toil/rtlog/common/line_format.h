// One human-readable line per record, safe to print on a terminal.
//
//   19:40:01.123 INFO     [align/3 node7 pid 4242] demo_job.cc:42: aligned 1000 reads
//
// The logger's name is shown after the sender when it is not the default
// "toil-rt" (`toil-rtlog send --name=backup.sh`: "[... pid 7 backup.sh]").
//
// Used by the terminal sink on the leader and for a job's own stderr. Text
// from a record never reaches the terminal raw: control characters (C0, DEL,
// C1), bidirectional overrides and invalid UTF-8 are shown escaped, and the
// lines of a multi-line message or traceback are indented under the first.
#ifndef TOIL_RTLOG_COMMON_LINE_FORMAT_H_
#define TOIL_RTLOG_COMMON_LINE_FORMAT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/log_record.pb.h"

namespace toil::rtlog::internal {

struct LineFormatOptions {
  // ANSI colour for the level name.
  bool color = false;
  // The "[job host pid N]" part; off for a job's own stderr.
  bool show_sender = true;
  // How the record's time is written: the time of day in `time_zone`
  // ("19:40:01.123"), the date and time in ISO 8601 with the zone's offset
  // ("2026-11-24T19:40:01.123+01:00"), or the same in UTC, `time_zone`
  // aside ("2026-11-24T18:40:01.123Z").
  enum class Time { kTimeOfDay, kIso8601, kIso8601Utc };
  Time time = Time::kTimeOfDay;
  absl::TimeZone time_zone = absl::LocalTimeZone();
};

// Appends the line(s) for `record`, whose fully formatted message text is
// `message`, ending with '\n'. `sender` ("ip:port") stands in for the host
// when the record names none (records from Python jobs). `unsigned_mark`
// adds "unsigned" to the sender part (a record accepted without a
// signature by a leader that asks for them).
void AppendRecordLine(const LogRecord& record, absl::string_view message,
                      const LineFormatOptions& options, std::string* out,
                      absl::string_view sender = "", bool unsigned_mark = false);

// The same line in its two parts, for a line without a sender (a job's own
// copy) made from a record's fields without a LogRecord:
// AppendRecordLineStart writes the time and the level, AppendRecordLineEnd
// " file.cc:42: message", the lines of `exc_text` and `stack_info`, and '\n'.
void AppendRecordLineStart(double created, int levelno, const LineFormatOptions& options,
                           std::string* out);
void AppendRecordLineEnd(absl::string_view filename, int lineno, absl::string_view message,
                         absl::string_view exc_text, absl::string_view stack_info,
                         std::string* out);

// Appends a line of the leader's own about the records (a fold of repeats,
// a count of lines not shown): the time `when`, the level, "[label]" and
// `text`, terminal-safe.
//   19:40:06.000 WARNING  [repeated 49x across 49 jobs on 2 hosts] disk 95% full
void AppendNoticeLine(absl::Time when, int levelno, absl::string_view label, absl::string_view text,
                      const LineFormatOptions& options, std::string* out);

// Appends "job host pid N", terminal-safe: who sent `record` (the job name,
// else the process name; the host, else `sender`'s address).
void AppendSenderLabel(const LogRecord& record, absl::string_view sender, std::string* out);

// Appends `text` with everything unsafe for a terminal escaped; each '\n'
// becomes a newline followed by `indent`.
void AppendTerminalSafe(absl::string_view text, absl::string_view indent, std::string* out);

// Appends `text` as one field of a line (a job, host or logger name, a
// file name): as AppendTerminalSafe, and newlines, carriage returns and tabs
// escaped too ("\n", "\r", "\t"), so that a field can never start a line
// of its own or move the cursor back.
void AppendTerminalField(absl::string_view text, std::string* out);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_COMMON_LINE_FORMAT_H_
