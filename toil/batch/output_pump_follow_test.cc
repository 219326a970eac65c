// How OutputPump follows a job's stdout, its log file, with real child
// processes: a listener that takes nothing never holds a printing job up; a
// listener without room holds the file back until it has room, except what
// lies further behind than the bound, or once it has waited the longest it
// may; a job's end waits for room at most the linger; a file the job cuts is
// read again from its start; and without inotify, files are followed all the
// same.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "toil/batch/output_pump.h"
#include "toil/batch/pump_test_util.h"

namespace toil::batch {
namespace {

using testing::EndUnderPump;
using testing::RecordingListener;
using testing::RunUnderPump;
using testing::SpawnUnderPump;
using testing::WaitForExit;

constexpr size_t kMiB = 1 << 20;

// Takes nothing until released: a leader too busy to read.
class HeldListener : public RecordingListener {
 public:
  void Output(const OutputSource& source, OutputStream stream, absl::string_view bytes,
              absl::Time now) override {
    released_.WaitForNotification();
    RecordingListener::Output(source, stream, bytes, now);
  }
  void Release() { released_.Notify(); }

 private:
  absl::Notification released_;
};

// `mib` MiB of zeros on stdout.
std::vector<std::string> Zeros(size_t mib) {
  return {"dd", "if=/dev/zero", "bs=65536", "count=" + std::to_string(mib * 16), "status=none"};
}

// 8 MiB on stdout while the listener takes nothing: the job ends all the
// same (through a pipe it would wait for the reader after 64 KiB), and the
// listener gets every byte once it takes again.
TEST(OutputPumpFollowTest, AJobPrintingWhileTheListenerIsBusyIsNotHeldUp) {
  const std::string log = testing::TempPath("follow-busy") + ".log";
  OutputPump pump;
  HeldListener listener;
  pump.SetListener(&listener);
  const pid_t pid = SpawnUnderPump(pump, 1, log, Zeros(8));
  ASSERT_GT(pid, 0);
  const int status = WaitForExit(pid);
  listener.Release();
  if (status == -1) waitpid(pid, nullptr, 0);
  ASSERT_EQ(status, 0);
  pump.ProcessEnded(1);
  ASSERT_TRUE(testing::WaitUntil([&] { return pump.Done(1); }, absl::Seconds(30), "all read"));
  EXPECT_EQ(listener.Of("dd").out, std::string(8 * kMiB, '\0'));
  EXPECT_EQ(listener.Of("dd").ended, 1);
  EXPECT_EQ(testing::ReadFile(log).size(), 8 * kMiB);
  pump.SetListener(nullptr);
}

// Bound 1 MiB, 3 MiB printed, no room: what lies more than the bound behind
// the file's end is handed on (2 MiB, and at most one read more); the rest
// waits, however long the job has ended, within the linger, until there is
// room.
TEST(OutputPumpFollowTest, AListenerWithoutRoomGetsOnlyWhatIsFurtherBehindThanTheBound) {
  const std::string log = testing::TempPath("follow-held") + ".log";
  OutputPump pump(
      {.linger = absl::Seconds(60), .max_lag_bytes = kMiB, .max_hold = absl::Seconds(60)});
  RecordingListener listener;
  listener.room = false;
  pump.SetListener(&listener);
  ASSERT_TRUE(EndUnderPump(pump, 1, log, Zeros(3)));
  const uint64_t holds = pump.holds();
  ASSERT_TRUE(testing::WaitUntil([&] { return pump.holds() > holds; }, absl::Seconds(30),
                                 "the file held back"));
  EXPECT_FALSE(pump.Done(1));
  const size_t handed = listener.Of("dd").out.size();
  EXPECT_GT(handed, 2 * kMiB);
  EXPECT_LE(handed, 2 * kMiB + OutputPump::kReadBytes);
  listener.room = true;
  ASSERT_TRUE(testing::WaitUntil([&] { return pump.Done(1); }, absl::Seconds(30), "all read"));
  EXPECT_EQ(listener.Of("dd").out, std::string(3 * kMiB, '\0'));
  pump.SetListener(nullptr);
}

// A listener that never has room: the job is done once the linger has
// passed after its end, with every byte handed on (for the listener to
// count what it cannot take).
TEST(OutputPumpFollowTest, AJobsEndWaitsForRoomAtMostTheLinger) {
  const std::string log = testing::TempPath("follow-linger") + ".log";
  OutputPump pump(
      {.linger = absl::Milliseconds(200), .max_lag_bytes = kMiB, .max_hold = absl::Seconds(60)});
  RecordingListener listener;
  listener.room = false;
  pump.SetListener(&listener);
  ASSERT_TRUE(EndUnderPump(pump, 1, log, Zeros(1)));
  ASSERT_TRUE(testing::WaitUntil([&] { return pump.Done(1); }, absl::Seconds(30), "done"));
  EXPECT_GT(pump.holds(), 0u);
  EXPECT_EQ(listener.Of("dd").out, std::string(kMiB, '\0'));
  EXPECT_EQ(listener.Of("dd").ended, 1);
  pump.SetListener(nullptr);
}

// A listener that never has room, a job still running (the linger far
// off): once the file has been held back the longest it may, the pump reads
// on, and hands every byte over.
TEST(OutputPumpFollowTest, AFileIsHeldBackAtMostTheLongestItMayWait) {
  const std::string log = testing::TempPath("follow-hold") + ".log";
  OutputPump pump({.linger = absl::Seconds(60),
                   .max_lag_bytes = 64 * kMiB,
                   .max_hold = absl::Milliseconds(200)});
  RecordingListener listener;
  listener.room = false;
  pump.SetListener(&listener);
  // Its stdout closed, the shell waits for the test to end it.
  const pid_t pid =
      SpawnUnderPump(pump, 1, log, {"sh", "-c", "head -c 1048576 /dev/zero; exec sleep 60 >&-"});
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(testing::WaitUntil([&] { return listener.Of("sh").out.size() == kMiB; },
                                 absl::Seconds(30), "every byte handed over"));
  EXPECT_GT(pump.holds(), 0u);
  EXPECT_FALSE(pump.Done(1));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  pump.ProcessEnded(1);
  pump.SetListener(nullptr);
}

// `: > /dev/stdout` in the job cuts its log file, once the pump has read
// 1000 lines of it: what comes after is read from the file's start.
TEST(OutputPumpFollowTest, AFileTheJobCutsIsReadAgainFromItsStart) {
  const std::string dir = testing::TempPath("follow-cut");
  const std::string go = dir + "/go";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(mkfifo(go.c_str(), 0600), 0);
  OutputPump pump;
  RecordingListener listener;
  pump.SetListener(&listener);
  const pid_t pid =
      SpawnUnderPump(pump, 1, dir + "/cut.log",
                     {"sh", "-c", "seq 1 1000; read go < " + go + "; : > /dev/stdout; echo after"});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(testing::WaitUntil([&] { return absl::EndsWith(listener.Of("sh").out, "\n1000\n"); },
                                 absl::Seconds(30), "the first 1000 lines read"));
  std::ofstream(go) << "go\n";  // opens once the job reads
  ASSERT_EQ(WaitForExit(pid), 0);
  pump.ProcessEnded(1);
  ASSERT_TRUE(testing::WaitUntil([&] { return pump.Done(1); }, absl::Seconds(30), "all read"));
  EXPECT_TRUE(absl::EndsWith(listener.Of("sh").out, "\n1000\nafter\n"))
      << listener.Of("sh").out.substr(listener.Of("sh").out.size() - 20);
  EXPECT_EQ(testing::ReadFile(dir + "/cut.log"), "after\n");
  pump.SetListener(nullptr);
}

// Without inotify the pump looks at each file every kReadPause: every line
// still arrives, stdout and stderr apart.
TEST(OutputPumpFollowTest, WithoutInotifyFilesAreFollowedAllTheSame) {
  const std::string log = testing::TempPath("follow-unwatched") + ".log";
  OutputPump pump({.watch_files = false});
  RecordingListener listener;
  pump.SetListener(&listener);
  ASSERT_TRUE(RunUnderPump(
      pump, 1, log, {"sh", "-c", "echo one; echo two >&2; sleep 0.05; echo three; printf 'four'"}));
  EXPECT_EQ(listener.Of("sh").out, "one\nthree\nfour");
  EXPECT_EQ(listener.Of("sh").err, "two\n");
  EXPECT_EQ(listener.Of("sh").ended, 1);
  pump.SetListener(nullptr);
}

}  // namespace
}  // namespace toil::batch
