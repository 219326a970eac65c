// Writing whole texts to file descriptors; see fd_write.h.
#include "toil/rtlog/base/fd_write.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace toil::rtlog::internal {

int WriteFully(int fd, absl::string_view text, size_t* written) {
  sigset_t pipe_signal;
  sigset_t old_mask;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &old_mask);
  int error = 0;
  const size_t size = text.size();
  while (!text.empty()) {
    const ssize_t n = write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno : EIO;
      break;
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  // A SIGPIPE this write raised stays pending while blocked: take it back,
  // unless the thread had it blocked already (then it is not ours to take).
  if (error == EPIPE && !sigismember(&old_mask, SIGPIPE)) {
    const timespec no_wait{};
    while (sigtimedwait(&pipe_signal, nullptr, &no_wait) == SIGPIPE) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (written != nullptr) *written = size - text.size();
  return error;
}

std::mutex& StderrMutex() {
  static std::mutex* const mu = new std::mutex();
  return *mu;
}

void WriteToStderr(absl::string_view text) {
  std::lock_guard<std::mutex> whole(StderrMutex());
  WriteFully(STDERR_FILENO, text);
}

void NoteOnStderr(absl::string_view line) {
  WriteToStderr(absl::StrCat("toil-rtlog: ", line, "\n"));
}

void WarnOnStderr(absl::string_view line) {
  WriteToStderr(absl::StrCat("toil-rtlog: warning: ", line, "\n"));
}

}  // namespace toil::rtlog::internal
