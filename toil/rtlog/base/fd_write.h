// Writing text to a file descriptor without surprises, and the library's own
// lines (warnings, errors, summaries, a job's copy of its records) to stderr.
//
// Everything goes out with write(2) directly: no stdio buffer, retried on
// EINTR and short writes, never throwing. A closed pipe raises no SIGPIPE in
// the process, whatever its SIGPIPE disposition: the signal is blocked while
// writing, and one the write raised is taken back.
//
//   WarnOnStderr("TOIL_RT_LOGGING_LEVEL=\"loud\" is not a log level");
//   // toil-rtlog: warning: TOIL_RT_LOGGING_LEVEL="loud" is not a log level
#ifndef TOIL_RTLOG_BASE_FD_WRITE_H_
#define TOIL_RTLOG_BASE_FD_WRITE_H_

#include <cstddef>
#include <mutex>

#include "absl/strings/string_view.h"

namespace toil::rtlog::internal {

// Writes all of `text` to `fd`; returns 0, or the errno of the write that
// failed (what was left is not written). `*written`, when given, is set to
// the bytes that were.
int WriteFully(int fd, absl::string_view text, size_t* written = nullptr);

// Writes `text` to stderr as it is, whole: texts written by threads at
// once do not interleave (a pipe keeps only writes of up to 4 KiB whole).
void WriteToStderr(absl::string_view text);
// Held over each WriteToStderr; fork hooks hold it across fork(), so that a
// child never inherits it held.
std::mutex& StderrMutex();

// "toil-rtlog: <line>\n" on stderr.
void NoteOnStderr(absl::string_view line);

// "toil-rtlog: warning: <line>\n" on stderr.
void WarnOnStderr(absl::string_view line);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_BASE_FD_WRITE_H_
