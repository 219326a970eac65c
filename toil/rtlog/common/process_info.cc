// Cached process and thread identity; see process_info.h.
#include "toil/rtlog/common/process_info.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace toil::rtlog::internal {
namespace {

std::atomic<int> g_pid{0};
// Bumped in the child after every fork, so thread caches know to refresh.
std::atomic<uint32_t> g_fork_generation{1};

}  // namespace

void ProcessInfoAfterFork() {
  g_pid.store(static_cast<int>(getpid()), std::memory_order_relaxed);
  g_fork_generation.fetch_add(1, std::memory_order_relaxed);
}

const std::string& HostName() {
  static const std::string* const host = [] {
    char buffer[256] = {};
    if (gethostname(buffer, sizeof(buffer) - 1) != 0) return new std::string("?");
    return new std::string(buffer);
  }();
  return *host;
}

int ProcessId() {
  int pid = g_pid.load(std::memory_order_relaxed);
  if (pid == 0) {
    pid = static_cast<int>(getpid());
    g_pid.store(pid, std::memory_order_relaxed);
  }
  return pid;
}

const std::string& ProcessName() {
  static const std::string* const name = new std::string(program_invocation_short_name);
  return *name;
}

const ThreadIdentity& CurrentThread() {
  thread_local ThreadIdentity identity;
  thread_local uint32_t generation = 0;
  const uint32_t current = g_fork_generation.load(std::memory_order_relaxed);
  if (generation != current) {
    generation = current;
    const pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
    identity.id = static_cast<uint64_t>(tid);
    char name[32] = {};
    if (tid == getpid()) {
      identity.name = "MainThread";
    } else if (pthread_getname_np(pthread_self(), name, sizeof(name)) == 0 && name[0] != '\0' &&
               ProcessName().rfind(name, 0) != 0) {
      identity.name = name;
    } else {
      identity.name = absl::StrCat("Thread-", tid);
    }
  }
  return identity;
}

}  // namespace toil::rtlog::internal
