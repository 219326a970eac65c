// ProcessGroupGuard: makes sure that the process groups of a leader's local
// jobs do not outlive the leader, even when the leader itself is killed with
// SIGKILL (which runs none of its code).
//
// On first use it forks a small guardian process that holds the read end of
// a pipe; the leader tells it, through the pipe, which job process groups
// are running. When the leader ends by any means, the kernel closes the
// pipe's write end, the guardian reads end-of-file, sends SIGKILL to every
// group still listed, and exits. A leader that ends its jobs itself
// (LocalBatchSystem::Shutdown) removes them from the list first, so the
// guardian then has nothing to do.
//
// The guardian runs in a process group of its own with every signal blocked
// (a Ctrl-C in the leader's terminal does not end it), closes every other
// descriptor, and calls only async-signal-safe functions (it is forked from a
// multithreaded process).
//
//   ProcessGroupGuard guard;
//   guard.Add(job_pid);     // the job leads its own process group
//   ...
//   guard.Remove(job_pid);  // the group has been ended and reaped
//
// A job started by StartGuardedProcess (guarded_spawn.h) adds its group
// itself, before its program runs (AddFromChild): a leader killed the
// moment after it started a job still leaves nothing behind.
#ifndef TOIL_BATCH_PROCESS_GROUP_GUARD_H_
#define TOIL_BATCH_PROCESS_GROUP_GUARD_H_

#include <sys/types.h>

#include <mutex>

namespace toil::batch {

class ProcessGroupGuard {
 public:
  // At most this many groups are guarded at once (more are not guarded).
  static constexpr int kMaxGroups = 65536;

  ProcessGroupGuard() = default;
  // Ends the guardian (the groups still listed are killed) and reaps it.
  ~ProcessGroupGuard();
  ProcessGroupGuard(const ProcessGroupGuard&) = delete;
  ProcessGroupGuard& operator=(const ProcessGroupGuard&) = delete;

  // Starts guarding the process group `pgid`; starts the guardian first if
  // it is not running. Best effort: without a guardian (fork failed), the
  // group is not guarded.
  void Add(pid_t pgid);
  // Forks the guardian now rather than on the first Add, so that an Add
  // right after a job is spawned is only a message (a fork of a large
  // leader would leave the job unguarded meanwhile).
  void Start();
  // Stops guarding `pgid`.
  void Remove(pid_t pgid);
  // The descriptor a forked child passes to AddFromChild; starts the
  // guardian first if it is not running. -1 without a guardian.
  int ChildDescriptor();
  // Starts guarding the process group that the calling process leads,
  // through `descriptor` (from ChildDescriptor; nothing when it is -1).
  // Async-signal-safe: for a child forked from a multithreaded leader.
  static void AddFromChild(int descriptor);
  // The guardian's pid, or -1 (for tests).
  pid_t guardian() const;

 private:
  bool StartLocked();
  void SendLocked(int op, pid_t pgid);

  mutable std::mutex mu_;
  int write_fd_ = -1;
  pid_t guardian_ = -1;
};

}  // namespace toil::batch

#endif  // TOIL_BATCH_PROCESS_GROUP_GUARD_H_
