// ProcessGroupGuard: makes sure that the process groups of a leader's local
// jobs do not outlive the leader, even when the leader itself is killed with
// SIGKILL (which runs none of its code).
//
// On first use it forks a small guardian process that holds the read end of
// a socket pair; through it, each job tells the guardian its process group
// (StartGuardedProcess in guarded_spawn.h, before the job's program runs),
// and the leader tells it which groups it has ended. When the leader ends by any means, the kernel
// closes the socket's other end, the guardian reads end-of-file, sends SIGKILL to every group still
// listed, and exits. A leader that ends its jobs itself (LocalBatchSystem::Shutdown) removes them
// from the list first, so the guardian then has nothing to do.
//
// The guardian runs in a process group of its own with every signal blocked
// (a Ctrl-C in the leader's terminal does not end it), closes every other
// descriptor, and calls only async-signal-safe functions (it is forked from a
// multithreaded process).
//
//   ProcessGroupGuard guard;
//   guard.Start();
//   StartGuardedProcess(process, guard, &job_pid);  // the child: AddFromChild
//   ...
//   guard.Remove(job_pid);  // the group has been ended and reaped
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

  // Forks the guardian now rather than at the first job's start (a fork of
  // a leader grown large costs more).
  void Start();
  // Stops guarding `pgid`.
  void Remove(pid_t pgid);
  // The descriptor a job's child process passes to AddFromChild; starts the
  // guardian first if it is not running. -1 without a guardian (fork
  // failed): best effort, its jobs are then not guarded.
  int ChildDescriptor();
  // Starts guarding the process group that the calling process leads,
  // through `descriptor` (from ChildDescriptor; nothing when it is -1).
  // Async-signal-safe: for a child of a multithreaded leader.
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
