// ChildExitWaiter: lets the thread that reaps a batch system's jobs sleep
// until one of them ends, instead of checking them every few milliseconds.
// Each watched child has a pidfd (readable once the child has ended, while
// it is still unreaped) in an epoll set; Wake() ends a wait early from
// another thread (a Shutdown, a job that could not start).
//
//   ChildExitWaiter waiter;
//   waiter.Watch(pid);                 // right after the child is made
//   waiter.Wait(absl::Seconds(1));     // returns when pid ends, or at 1 s
//   waitpid(pid, ...); waiter.Forget(pid);
//
// Where pidfds are missing (Linux before 5.3, or no descriptor left), Wait
// returns after at most kFallbackPoll, and the caller checks its children
// itself, as it would without a waiter. Watch and Forget are called under
// the caller's lock; Wait and Wake from any thread.
#ifndef TOIL_BATCH_CHILD_EXIT_WAITER_H_
#define TOIL_BATCH_CHILD_EXIT_WAITER_H_

#include <sys/types.h>

#include <atomic>
#include <map>

#include "absl/time/time.h"

namespace toil::batch {

class ChildExitWaiter {
 public:
  // The longest a wait lasts while some child cannot be watched.
  static constexpr absl::Duration kFallbackPoll = absl::Milliseconds(2);

  ChildExitWaiter();
  ~ChildExitWaiter();
  ChildExitWaiter(const ChildExitWaiter&) = delete;
  ChildExitWaiter& operator=(const ChildExitWaiter&) = delete;

  // Starts watching `pid`, a child not yet reaped; false when it cannot
  // (waits are then capped at kFallbackPoll until it is forgotten).
  bool Watch(pid_t pid);
  // Stops watching `pid` (call it when the child is reaped).
  void Forget(pid_t pid);
  // Sleeps until a watched child ends, Wake is called, or `timeout` passes
  // (at most kFallbackPoll while a child is unwatched). A child that has
  // ended stays "ended" until forgotten: the caller reaps before waiting.
  void Wait(absl::Duration timeout);
  // Ends the current (or the next) Wait early.
  void Wake();

 private:
  int epoll_fd_ = -1;
  int wake_fd_ = -1;             // an eventfd in the epoll set
  std::map<pid_t, int> pidfds_;  // -1: unwatched
  std::atomic<int> unwatched_{0};
};

}  // namespace toil::batch

#endif  // TOIL_BATCH_CHILD_EXIT_WAITER_H_
