// Where a job writes the copy of each record it logs: its stderr, unless
// that stderr is the pipe through which its output is captured (by
// `toil-rtlog exec`, or by a leader's local batch system). Then the capture
// named, in TOIL_RT_LOGGING_STDERR_COPY (base/stderr_copy.h), a pipe of its
// own for the copies: they reach the job's log file through it, but are not
// taken for output the program printed and sent to the leader a second
// time. A process that redirected its stderr elsewhere writes its copies
// there, and one that closed or reused the descriptor writes them to stderr.
#ifndef TOIL_RTLOG_JOB_RECORD_COPIES_H_
#define TOIL_RTLOG_JOB_RECORD_COPIES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "toil/rtlog/common/line_format.h"
#include "toil/rtlog/job/record_builder.h"
#include "toil/rtlog/job/record_queue.h"

namespace toil::rtlog::internal {

// How a record's copy is written: as the leader's terminal shows it, in
// this machine's time zone, without a sender.
LineFormatOptions RecordCopyOptions();

// Appends the copy of a queued record whose message is `text`: what
// AppendRecordLine writes for BuildRecord's LogRecord with `options` (which
// must show no sender), without making that LogRecord.
void AppendRecordCopy(const QueuedRecord& queued, absl::string_view text,
                      const RecordContext& context, const LineFormatOptions& options,
                      std::string* out);

// Writes `text` (whole lines) where this process's record copies go.
void WriteRecordCopies(absl::string_view text);

// From now on this process writes no record copies at all (a process that
// writes the output it logs as it came, itself).
void DiscardRecordCopies();
// Whether it does not (then there is no copy to format either).
bool RecordCopiesDiscarded();

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_RECORD_COPIES_H_
