// Sleeping until a child process ends; see child_exit_waiter.h.
#include "toil/batch/child_exit_waiter.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "absl/time/clock.h"

namespace toil::batch {
namespace {

// Milliseconds for epoll_wait, rounded up so that a wait never ends before
// its time (and so never spins at the end of a timeout).
int WaitMilliseconds(absl::Duration timeout) {
  if (timeout <= absl::ZeroDuration()) return 0;
  const int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, 60 * 60 * 1000));
}

}  // namespace

ChildExitWaiter::ChildExitWaiter() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = wake_fd_;
  if (epoll_fd_ >= 0 && wake_fd_ >= 0 &&
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) == 0) {
    return;
  }
  // Without them every wait is a short sleep (kFallbackPoll).
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  epoll_fd_ = wake_fd_ = -1;
}

ChildExitWaiter::~ChildExitWaiter() {
  for (const auto& [pid, fd] : pidfds_) {
    if (fd >= 0) close(fd);
  }
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

bool ChildExitWaiter::Watch(pid_t pid) {
  int fd = -1;
  if (epoll_fd_ >= 0) fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      close(fd);
      fd = -1;
    }
  }
  Forget(pid);
  pidfds_[pid] = fd;
  if (fd < 0) unwatched_.fetch_add(1);
  return fd >= 0;
}

void ChildExitWaiter::Forget(pid_t pid) {
  auto found = pidfds_.find(pid);
  if (found == pidfds_.end()) return;
  // Closing the pidfd also takes it out of the epoll set.
  if (found->second >= 0) close(found->second);
  if (found->second < 0) unwatched_.fetch_sub(1);
  pidfds_.erase(found);
}

void ChildExitWaiter::Wait(absl::Duration timeout) {
  if (epoll_fd_ < 0 || unwatched_.load() > 0) timeout = std::min(timeout, kFallbackPoll);
  if (epoll_fd_ < 0) {
    absl::SleepFor(timeout);
    return;
  }
  epoll_event events[8];
  const int n = epoll_wait(epoll_fd_, events, 8, WaitMilliseconds(timeout));
  for (int i = 0; i < n; ++i) {
    uint64_t count = 0;
    if (events[i].data.fd == wake_fd_) (void)!read(wake_fd_, &count, sizeof(count));
  }
}

void ChildExitWaiter::Wake() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

}  // namespace toil::batch
