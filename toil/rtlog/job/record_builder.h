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

// Fills `out` (cleared first) from the queued record and its text.
void BuildRecord(const QueuedRecord& queued, absl::string_view text, const RecordContext& context,
                 LogRecord* out);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_RECORD_BUILDER_H_
