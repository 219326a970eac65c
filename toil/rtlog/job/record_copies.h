// Where a job writes the copy of each record it logs: its stderr, unless
// that stderr is the pipe through which `toil-rtlog exec` captures the
// job's output. Then exec named, in TOIL_RT_LOGGING_STDERR_COPY
// ("FD:DEVICE:INODE:STDERR_DEVICE:STDERR_INODE"), a pipe of its own for
// the copies and the captured stderr pipe: the copies reach the job's log
// file through the first, but are not taken for output the program printed
// and sent to the leader a second time. Both are checked by device and
// inode, so a process that redirected its stderr elsewhere writes its
// copies there, and one that closed or reused the descriptor writes them
// to stderr.
#ifndef TOIL_RTLOG_JOB_RECORD_COPIES_H_
#define TOIL_RTLOG_JOB_RECORD_COPIES_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace toil::rtlog::internal {

// Writes `text` (whole lines) where this process's record copies go.
void WriteRecordCopies(absl::string_view text);

// From now on this process writes no record copies at all (a process that
// writes the output it logs as it came, itself).
void DiscardRecordCopies();
// Whether it does not (then there is no copy to format either).
bool RecordCopiesDiscarded();

// The descriptor a TOIL_RT_LOGGING_STDERR_COPY value names, if it is open
// and still the file it names, and stderr is still the captured pipe;
// nullopt otherwise.
std::optional<int> CopyDescriptor(const char* value);

// The TOIL_RT_LOGGING_STDERR_COPY value that names `copy_fd` and
// `captured_stderr_fd` as they are now.
std::string DescribeCopyDescriptor(int copy_fd, int captured_stderr_fd);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_RECORD_COPIES_H_
