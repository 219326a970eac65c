// TOIL_RT_LOGGING_STDERR_COPY: what a capture of a job's output (`toil-rtlog
// exec`, a leader's local batch system) tells the job about the pipe it
// keeps for the copies of the records the job logs itself, so that those
// reach the job's log file but are not captured and sent a second time.
//
// The value is "FD:DEVICE:INODE:STDERR_DEVICE:STDERR_INODE": the copy
// pipe's descriptor in the job, and the device and inode of it and of the
// captured stderr pipe. The job uses the descriptor only while both are
// still those files.
#ifndef TOIL_RTLOG_BASE_STDERR_COPY_H_
#define TOIL_RTLOG_BASE_STDERR_COPY_H_

#include <optional>
#include <string>

namespace toil::rtlog::internal {

// The value that names `copy_fd` and `captured_stderr_fd` as they are now.
std::string DescribeCopyDescriptor(int copy_fd, int captured_stderr_fd);

// The descriptor a value names, if it is open and still the file it names,
// and this process's stderr is still the captured pipe; nullopt otherwise.
std::optional<int> CopyDescriptor(const char* value);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_BASE_STDERR_COPY_H_
