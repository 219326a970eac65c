// Where a job writes the copy of each record it logs: its stderr, unless
// the process that captures its output (`toil-rtlog exec`) named a pipe of
// its own in TOIL_RT_LOGGING_STDERR_COPY ("FD:DEVICE:INODE"). The copies
// then reach the job's log file through that pipe, but are not taken for
// output the program printed and sent to the leader a second time. The
// descriptor is used only while it is still that pipe (same device and
// inode), so a process that closed or reused it writes to stderr instead.
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

// The descriptor a TOIL_RT_LOGGING_STDERR_COPY value names, if it is open
// and is still the file it names; nullopt otherwise.
std::optional<int> CopyDescriptor(const char* value);

// The TOIL_RT_LOGGING_STDERR_COPY value that names `fd` as it is now.
std::string DescribeCopyDescriptor(int fd);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_RECORD_COPIES_H_
