// Who is logging: host, process and thread identity for each record.
//
// Cached, because a log call must be cheap, and refreshed in a child after
// fork() (new pid, new thread ids).
#ifndef TOIL_RTLOG_COMMON_PROCESS_INFO_H_
#define TOIL_RTLOG_COMMON_PROCESS_INFO_H_

#include <cstdint>
#include <string>

namespace toil::rtlog::internal {

// The host name (gethostname), read once.
const std::string& HostName();

// The current process id; correct in a forked child once
// ProcessInfoAfterFork has run there.
int ProcessId();

// To be called in a child right after fork() (the client's fork hook does):
// the new pid, and new thread ids.
void ProcessInfoAfterFork();

// The program's short name (e.g. "demo_job").
const std::string& ProcessName();

// The calling thread's OS thread id (gettid) and a display name: "MainThread"
// for the process's first thread, else its pthread name, else "Thread-<tid>".
struct ThreadIdentity {
  uint64_t id = 0;
  std::string name;
};
const ThreadIdentity& CurrentThread();

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_COMMON_PROCESS_INFO_H_
