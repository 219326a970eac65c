// ChildExitWaiter with real child processes: a wait ends when a watched
// child ends, or when another thread wakes it, and not before; a child that
// cannot be watched makes waits short instead of endless. A waiter that
// misses an end leaves a wait of an hour: the test's timeout fails it.
#include "toil/batch/child_exit_waiter.h"

#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace toil::batch {
namespace {

// A child that ends when the write end of its pipe is closed.
struct BlockedChild {
  pid_t pid = -1;
  int release_fd = -1;

  static BlockedChild Start() {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    BlockedChild child;
    child.pid = fork();
    if (child.pid == 0) {
      close(fds[1]);
      char byte;
      _exit(read(fds[0], &byte, 1) == 0 ? 0 : 1);
    }
    close(fds[0]);
    child.release_fd = fds[1];
    return child;
  }
  void Release() {
    if (release_fd >= 0) close(release_fd);
    release_fd = -1;
  }
  // Reaps it; true if it had already ended.
  bool Ended() { return waitpid(pid, nullptr, WNOHANG) == pid; }
  // Lets it end, and reaps it.
  void End() {
    Release();
    waitpid(pid, nullptr, 0);
  }
};

// What one Wait took: how long, and how many times the thread slept.
struct WaitCost {
  absl::Duration took;
  long sleeps;
};

WaitCost TimedWait(ChildExitWaiter& waiter, absl::Duration timeout) {
  const long switches = testing::ThreadVoluntarySwitches();
  const absl::Time start = absl::Now();
  waiter.Wait(timeout);
  return {absl::Now() - start, testing::ThreadVoluntarySwitches() - switches};
}

TEST(ChildExitWaiterTest, AWaitEndsWhenAWatchedChildEnds) {
  ChildExitWaiter waiter;
  BlockedChild child = BlockedChild::Start();
  ASSERT_TRUE(waiter.Watch(child.pid));
  child.Release();
  waiter.Wait(absl::Hours(1));
  EXPECT_TRUE(child.Ended());
  waiter.Forget(child.pid);
}

TEST(ChildExitWaiterTest, AnIdleWaitSleepsThroughItsTimeout) {
  ChildExitWaiter waiter;
  BlockedChild child = BlockedChild::Start();
  ASSERT_TRUE(waiter.Watch(child.pid));
  const WaitCost cost = TimedWait(waiter, absl::Milliseconds(300));
  EXPECT_GE(cost.took, absl::Milliseconds(280));
  // One sleep, not one every few milliseconds.
  EXPECT_LE(cost.sleeps, 5);
  EXPECT_FALSE(child.Ended());
  child.End();
  waiter.Forget(child.pid);
}

TEST(ChildExitWaiterTest, AnotherThreadCanEndAWait) {
  ChildExitWaiter waiter;
  BlockedChild child = BlockedChild::Start();
  ASSERT_TRUE(waiter.Watch(child.pid));
  std::thread waker([&] { waiter.Wake(); });
  waiter.Wait(absl::Hours(1));
  waker.join();
  EXPECT_FALSE(child.Ended());
  // The wake is used up: the next wait sleeps again.
  EXPECT_LE(TimedWait(waiter, absl::Milliseconds(100)).sleeps, 5);
  child.End();
  waiter.Forget(child.pid);
}

TEST(ChildExitWaiterTest, AForgottenChildNoLongerEndsAWait) {
  ChildExitWaiter waiter;
  BlockedChild child = BlockedChild::Start();
  ASSERT_TRUE(waiter.Watch(child.pid));
  child.End();
  waiter.Forget(child.pid);
  EXPECT_GE(TimedWait(waiter, absl::Milliseconds(100)).took, absl::Milliseconds(80));
}

TEST(ChildExitWaiterTest, AChildThatCannotBeWatchedKeepsWaitsShort) {
  ChildExitWaiter waiter;
  BlockedChild gone = BlockedChild::Start();
  gone.End();
  // Reaped: there is no process to open a pidfd for.
  EXPECT_FALSE(waiter.Watch(gone.pid));
  waiter.Wait(absl::Hours(1));  // at most kFallbackPoll
  waiter.Forget(gone.pid);
  BlockedChild child = BlockedChild::Start();
  ASSERT_TRUE(waiter.Watch(child.pid));
  EXPECT_GE(TimedWait(waiter, absl::Milliseconds(100)).took, absl::Milliseconds(80));
  child.End();
  waiter.Forget(child.pid);
}

}  // namespace
}  // namespace toil::batch
