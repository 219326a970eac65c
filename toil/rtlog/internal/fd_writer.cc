// Buffered, failure-counting fd writer; see fd_writer.h.
#include "toil/rtlog/internal/fd_writer.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace toil::rtlog::internal {
namespace {
constexpr size_t kFlushThreshold = 256 * 1024;

void WriteStderr(const std::string& line) {
  (void)!write(STDERR_FILENO, line.data(), line.size());
}
}  // namespace

FdWriter::FdWriter(int fd, bool owns_fd, std::string what)
    : fd_(fd), owns_fd_(owns_fd), what_(std::move(what)) {}

FdWriter::~FdWriter() {
  Flush();
  if (owns_fd_ && fd_ >= 0) close(fd_);
  if (lost_bytes_ > 0 && fd_ != STDERR_FILENO) {
    WriteStderr(absl::StrCat("toil-rtlog: warning: ", lost_lines_, " lines (",
                             lost_bytes_, " bytes) could not be written to ",
                             what_, "\n"));
  }
}

void FdWriter::MaybeFlush() {
  if (buffer_.size() >= kFlushThreshold) Flush();
}

void FdWriter::Flush() {
  if (buffer_.empty()) return;
  // A closed pipe must not kill the leader, whatever its SIGPIPE disposition:
  // the signal is blocked for this thread while it writes, and one raised by
  // the write is taken back before the mask is restored.
  sigset_t pipe_signal;
  sigset_t old_mask;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &old_mask);
  bool broken_pipe = false;
  absl::string_view rest = buffer_;
  while (!rest.empty()) {
    const ssize_t n = write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      broken_pipe = error == EPIPE;
      lost_bytes_ += rest.size();
      lost_lines_ += std::count(rest.begin(), rest.end(), '\n');
      if (!reported_) {
        reported_ = true;
        // Report on stderr, unless stderr is what failed.
        if (fd_ != STDERR_FILENO) {
          WriteStderr(absl::StrCat(
              "toil-rtlog: error: cannot write to ", what_, ": ",
              std::strerror(error),
              "; what cannot be written is counted, and the total is shown "
              "when the leader stops\n"));
        }
      }
      break;
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  buffer_.clear();
  if (broken_pipe && !sigismember(&old_mask, SIGPIPE)) {
    const timespec no_wait{};
    while (sigtimedwait(&pipe_signal, nullptr, &no_wait) == SIGPIPE) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
}

}  // namespace toil::rtlog::internal
