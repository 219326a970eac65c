// A queued record (record_queue.h) as the wire's LogRecord: its text,
// level, source location, time, and who logged it (this process and
// thread, this host, the job's name). The sender builds every record it
// sends this way, and so does the local delivery in a leader process.
#ifndef TOIL_RTLOG_JOB_RECORD_BUILDER_H_
#define TOIL_RTLOG_JOB_RECORD_BUILDER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/job/record_queue.h"

namespace toil::rtlog::internal {

// What every record of this process shares.
struct RecordContext {
  std::string job_name;      // TOIL_JOB_NAME
  int64_t start_time_ns;     // when logging began, for relativeCreated
  int process_id = 0;        // the process records name; 0: this one
  std::string process_name;  // its name; "": this one's
};

// A call site's __FILE__ as the record names it: "src/align.cc" is the
// path, "align.cc" the file and "align" the module.
struct SourceNames {
  absl::string_view path;
  absl::string_view file;
  absl::string_view module;
};
SourceNames SourceNamesOf(const QueuedRecord& queued);

// The logger's name (the default one is queued as null).
absl::string_view LoggerName(const QueuedRecord& queued);

// A record's times as Python's logging gives them: `created` in seconds
// since the epoch, `msecs` its milliseconds, `relative_created` in
// milliseconds since logging began.
struct RecordTimes {
  double created;
  double msecs;
  double relative_created;
};
RecordTimes TimesOf(const QueuedRecord& queued, const RecordContext& context);

// Fills `out` (cleared first) from the queued record and its text.
void BuildRecord(const QueuedRecord& queued, absl::string_view text, const RecordContext& context,
                 LogRecord* out);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_RECORD_BUILDER_H_
