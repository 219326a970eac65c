// The guardian of a leader's job process groups; see process_group_guard.h.
#include "toil/batch/process_group_guard.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace toil::batch {
namespace {

enum Op : int32_t { kAdd = 1, kRemove = 2 };

struct Message {
  int32_t op;
  int32_t pgid;
};

// The guardian's list of groups. Static, so that the forked guardian needs
// no allocation (only async-signal-safe calls are allowed there).
pid_t g_groups[ProcessGroupGuard::kMaxGroups];

void Apply(const Message& message, int* count) {
  if (message.op == kAdd) {
    if (*count < ProcessGroupGuard::kMaxGroups) g_groups[(*count)++] = message.pgid;
    return;
  }
  for (int i = 0; i < *count; ++i) {
    if (g_groups[i] == message.pgid) {
      g_groups[i] = g_groups[--*count];
      return;
    }
  }
}

// The guardian: reads the leader's messages from fd 0 until the leader is
// gone, then kills what is still listed.
[[noreturn]] void Guard(int fd) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  setpgid(0, 0);
  if (fd != 0) {
    dup2(fd, 0);
  }
  close_range(1, ~0U, 0);
  int count = 0;
  Message messages[64];
  while (true) {
    const ssize_t n = recv(0, messages, sizeof(messages), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n / static_cast<ssize_t>(sizeof(Message)); ++i) {
      Apply(messages[i], &count);
    }
  }
  for (int i = 0; i < count; ++i) kill(-g_groups[i], SIGKILL);
  _exit(0);
}

// One message to the guardian; nothing when there is none.
void Send(int fd, int op, pid_t pgid) {
  if (fd < 0) return;
  const Message message{op, static_cast<int32_t>(pgid)};
  while (send(fd, &message, sizeof(message), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

}  // namespace

ProcessGroupGuard::~ProcessGroupGuard() {
  std::lock_guard<std::mutex> lock(mu_);
  if (write_fd_ >= 0) close(write_fd_);
  if (guardian_ > 0) {
    int status = 0;
    while (waitpid(guardian_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

bool ProcessGroupGuard::StartLocked() {
  if (guardian_ > 0) return true;
  int fds[2];
  // SEQPACKET: each message is read whole; MSG_NOSIGNAL below: a guardian
  // that is gone raises no SIGPIPE in the leader.
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) return false;
  const pid_t pid = fork();
  if (pid == 0) Guard(fds[0]);
  close(fds[0]);
  if (pid < 0) {
    close(fds[1]);
    return false;
  }
  guardian_ = pid;
  write_fd_ = fds[1];
  return true;
}

void ProcessGroupGuard::SendLocked(int op, pid_t pgid) { Send(write_fd_, op, pgid); }

void ProcessGroupGuard::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  StartLocked();
}

void ProcessGroupGuard::Remove(pid_t pgid) {
  std::lock_guard<std::mutex> lock(mu_);
  SendLocked(kRemove, pgid);
}

int ProcessGroupGuard::ChildDescriptor() {
  std::lock_guard<std::mutex> lock(mu_);
  StartLocked();
  return write_fd_;
}

void ProcessGroupGuard::AddFromChild(int descriptor) { Send(descriptor, kAdd, getpgrp()); }

pid_t ProcessGroupGuard::guardian() const {
  std::lock_guard<std::mutex> lock(mu_);
  return guardian_;
}

}  // namespace toil::batch
