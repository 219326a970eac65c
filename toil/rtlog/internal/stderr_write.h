// Writing the client's own lines (warnings, a job's copy of its records) to
// stderr with write(2) directly: no stdio buffer, retried on EINTR and short
// writes, never throwing.
#ifndef TOIL_RTLOG_INTERNAL_STDERR_WRITE_H_
#define TOIL_RTLOG_INTERNAL_STDERR_WRITE_H_

#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace toil::rtlog::internal {

inline void WriteAllToStderr(absl::string_view text) {
  while (!text.empty()) {
    const ssize_t n = write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

// "toil-rtlog: warning: <text>" on a line of its own.
inline void WarnOnStderr(absl::string_view text) {
  WriteAllToStderr(absl::StrCat("toil-rtlog: warning: ", text, "\n"));
}

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_INTERNAL_STDERR_WRITE_H_
