// LocalBatchSystem reading its jobs' output in this process (OutputPump),
// with real child processes: the log file gets every byte and the listener
// each stream's bytes in order; the copies of the records a job logs itself
// reach the file only; a job is finished once its output is read, not when
// what it left behind ends; Shutdown reads what cancelled jobs printed last;
// a program printing a page at a time is read without pauses; stdout cut by
// stderr in the file reaches the listener whole; a busy listener never holds
// a printing job up.
#include "toil/batch/output_pump.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tests/wait_for_jobs.h"
#include "toil/batch/local_batch_system.h"
#include "toil/batch/output_listener.h"

namespace toil::batch {
namespace {

// What it was handed, by job name.
class RecordingListener : public OutputListener {
 public:
  struct Job {
    std::string out;
    std::string err;
    OutputSource source;
    int ended = 0;
  };
  void Output(const OutputSource& source, OutputStream stream, absl::string_view bytes,
              absl::Time) override {
    std::lock_guard<std::mutex> lock(mu_);
    Job& job = jobs_[source.job];
    job.source = source;
    (stream == OutputStream::kStdout ? job.out : job.err).append(bytes.data(), bytes.size());
  }
  void Ended(const OutputSource& source) override {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_[source.job].source = source;
    ++jobs_[source.job].ended;
  }
  absl::Time Tick(absl::Time) override { return absl::InfiniteFuture(); }
  Job Of(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = jobs_.find(name);
    return found == jobs_.end() ? Job{} : found->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, Job> jobs_;
};

TEST(OutputPumpTest, TheFileGetsEveryByteAndTheListenerEachStreamInOrder) {
  LocalBatchSystem batch({.log_dir = testing::TempPath("pump-bytes")});
  RecordingListener listener;
  ASSERT_TRUE(batch.ListenToOutput(&listener));
  ASSERT_TRUE(
      batch
          .IssueJob(
              {"printer", "/bin/sh", {"-c", "echo one; echo two >&2; echo three; printf 'no end'"}})
          .ok());
  std::map<std::string, FinishedJob> done = testing::WaitForAll(batch, absl::Seconds(30));
  ASSERT_EQ(done.count("printer"), 1u);
  EXPECT_EQ(done["printer"].exit_code, 0);
  const RecordingListener::Job job = listener.Of("printer");
  EXPECT_EQ(job.out, "one\nthree\nno end");
  EXPECT_EQ(job.err, "two\n");
  EXPECT_EQ(job.ended, 1);  // before the job was reported finished
  EXPECT_EQ(job.source.program, "sh");
  EXPECT_GT(job.source.pid, 0);
  const std::string log = testing::ReadFile(done["printer"].log_path);
  EXPECT_EQ(log.size(), std::string("one\ntwo\nthree\nno end").size()) << log;
  EXPECT_THAT(log, ::testing::HasSubstr("three\nno end"));
  batch.ListenToOutput(nullptr);
}

// The job's stdout goes straight into its file, where the pump appends its
// stderr too: following the file must hand on stdout's bytes alone, however
// the two interleave there.
TEST(OutputPumpTest, StdoutCutByStderrInTheFileReachesTheListenerWhole) {
  LocalBatchSystem batch({.log_dir = testing::TempPath("pump-interleaved")});
  RecordingListener listener;
  ASSERT_TRUE(batch.ListenToOutput(&listener));
  ASSERT_TRUE(batch
                  .IssueJob({"mixer",
                             "/bin/sh",
                             {"-c",
                              "i=0; while [ $i -lt 300 ]; do i=$((i+1)); printf 'out %d ' $i; "
                              "echo \"err $i\" >&2; echo \"end $i\"; done"}})
                  .ok());
  std::map<std::string, FinishedJob> done = testing::WaitForAll(batch, absl::Seconds(60));
  ASSERT_EQ(done.count("mixer"), 1u);
  std::string out, err;
  for (int i = 1; i <= 300; ++i) {
    absl::StrAppend(&out, "out ", i, " end ", i, "\n");
    absl::StrAppend(&err, "err ", i, "\n");
  }
  const RecordingListener::Job job = listener.Of("mixer");
  EXPECT_EQ(job.out, out);
  EXPECT_EQ(job.err, err);
  EXPECT_EQ(testing::ReadFile(done["mixer"].log_path).size(), out.size() + err.size());
  batch.ListenToOutput(nullptr);
}

TEST(OutputPumpTest, RecordCopiesReachTheFileOnlyAndPythonIsUnbuffered) {
  LocalBatchSystem batch({.log_dir = testing::TempPath("pump-copies")});
  RecordingListener listener;
  ASSERT_TRUE(batch.ListenToOutput(&listener));
  // The descriptor the variable names, as a job's RT_LOG would use it.
  ASSERT_TRUE(batch
                  .IssueJob({"copier",
                             "/bin/bash",
                             {"-c",
                              "fd=${TOIL_RT_LOGGING_STDERR_COPY%%:*}; "
                              "echo a record copy >&$fd; echo py=$PYTHONUNBUFFERED"}})
                  .ok());
  std::map<std::string, FinishedJob> done = testing::WaitForAll(batch, absl::Seconds(30));
  const RecordingListener::Job job = listener.Of("copier");
  EXPECT_EQ(job.out, "py=1\n");
  EXPECT_EQ(job.err, "");
  const std::string log = testing::ReadFile(done["copier"].log_path);
  EXPECT_THAT(log, ::testing::HasSubstr("a record copy\n"));
  EXPECT_THAT(log, ::testing::HasSubstr("py=1\n"));
  batch.ListenToOutput(nullptr);
}

TEST(OutputPumpTest, AJobIsFinishedOnceItsOutputIsReadNotWhenWhatItLeftBehindEnds) {
  LocalBatchSystem batch(
      {.log_dir = testing::TempPath("pump-linger"), .capture_linger = absl::Milliseconds(300)});
  RecordingListener listener;
  ASSERT_TRUE(batch.ListenToOutput(&listener));
  // The background sleep keeps the job's stdout open for 20 s.
  ASSERT_TRUE(batch.IssueJob({"leaver", "/bin/sh", {"-c", "sleep 20 & echo started"}}).ok());
  const absl::Time start = absl::Now();
  std::map<std::string, FinishedJob> done = testing::WaitForAll(batch, absl::Seconds(15));
  ASSERT_EQ(done.count("leaver"), 1u);
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));
  EXPECT_EQ(listener.Of("leaver").out, "started\n");
  EXPECT_EQ(listener.Of("leaver").ended, 1);
  kill(-static_cast<pid_t>(listener.Of("leaver").source.pid), SIGKILL);  // the sleep
  batch.ListenToOutput(nullptr);
}

TEST(OutputPumpTest, ShutdownReadsWhatCancelledJobsPrintedLast) {
  LocalBatchSystem batch(
      {.log_dir = testing::TempPath("pump-shutdown"), .stop_grace = absl::Seconds(10)});
  RecordingListener listener;
  ASSERT_TRUE(batch.ListenToOutput(&listener));
  ASSERT_TRUE(batch
                  .IssueJob({"waiter",
                             "/bin/sh",
                             {"-c",
                              "trap 'echo bye; exit 0' TERM; echo up; "
                              "while :; do sleep 0.05; done"}})
                  .ok());
  ASSERT_TRUE(testing::WaitUntil([&] { return listener.Of("waiter").out == "up\n"; },
                                 absl::Seconds(30), "the job's first line"));
  batch.Shutdown();
  std::optional<FinishedJob> job = batch.WaitForFinishedJob(absl::ZeroDuration());
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->reason, "cancelled");
  EXPECT_EQ(listener.Of("waiter").out, "up\nbye\n");
  EXPECT_EQ(listener.Of("waiter").ended, 1);
  batch.ListenToOutput(nullptr);
}

// Runs `argv` with its stdout and stderr on the pump's pipes, and waits until
// the pump has read all it printed.
void RunUnderPump(OutputPump& pump, uint64_t key, const std::string& log_path,
                  std::vector<std::string> argv) {
  OutputPump::ChildEnds ends;
  ASSERT_EQ(pump.Open(key, log_path, &ends), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, ends.stdout_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, ends.stderr_fd, STDERR_FILENO);
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) pump.Abandon(key);
  ASSERT_EQ(spawned, 0) << strerror(spawned);
  pump.Started({key, argv[0], pid, argv[0]});
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(status, 0);
  pump.ProcessEnded(key);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!pump.Done(key)) {
    ASSERT_LT(absl::Now(), deadline) << "its output was not read";
    absl::SleepFor(absl::Milliseconds(1));
  }
}

// A program printing as fast as it can hands the pipe a page at a time
// (stdio's buffer): were the reader to pause after such a read, the pipe
// would fill meanwhile and the program wait. A short read still pauses.
TEST(OutputPumpTest, AProgramPrintingAPageAtATimeIsReadWithoutPauses) {
  const std::string dir = testing::TempPath("");
  OutputPump pump;
  RunUnderPump(pump, 1, dir + "/pages.log",
               {"sh", "-c", "dd if=/dev/zero bs=4096 count=4096 status=none >&2"});
  EXPECT_EQ(pump.pauses(), 0u);
  EXPECT_EQ(testing::ReadFile(dir + "/pages.log").size(), 4096u * 4096u);
  RunUnderPump(pump, 2, dir + "/line.log", {"sh", "-c", "echo a short line >&2"});
  EXPECT_EQ(pump.pauses(), 1u);
  EXPECT_EQ(testing::ReadFile(dir + "/line.log"), "a short line\n");
}

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

// 8 MiB on stdout while the listener takes nothing: the job ends all the
// same (through a pipe it would wait for the reader after 64 KiB), and the
// listener gets every byte once it takes again.
TEST(OutputPumpTest, AJobPrintingWhileTheListenerIsBusyIsNotHeldUp) {
  const std::string log = testing::TempPath("pump-held") + ".log";
  OutputPump pump;
  HeldListener listener;
  pump.SetListener(&listener);
  OutputPump::ChildEnds ends;
  ASSERT_EQ(pump.Open(1, log, &ends), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, ends.stdout_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, ends.stderr_fd, STDERR_FILENO);
  std::vector<std::string> argv = {"dd", "if=/dev/zero", "bs=65536", "count=128", "status=none"};
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  pump.Started({1, "dd", pid, "dd"});
  int status = -1;
  const bool ended =
      static_cast<bool>(testing::WaitUntil([&] { return waitpid(pid, &status, WNOHANG) == pid; },
                                           absl::Seconds(30), "the job's end, the listener held"));
  listener.Release();
  if (!ended) waitpid(pid, &status, 0);
  ASSERT_TRUE(ended);
  EXPECT_EQ(status, 0);
  pump.ProcessEnded(1);
  ASSERT_TRUE(testing::WaitUntil([&] { return pump.Done(1); }, absl::Seconds(30), "all read"));
  EXPECT_EQ(listener.Of("dd").out, std::string(128 * 65536, '\0'));
  EXPECT_EQ(listener.Of("dd").ended, 1);
  EXPECT_EQ(testing::ReadFile(log).size(), 128u * 65536u);
  pump.SetListener(nullptr);
}

TEST(OutputPumpTest, ABatchSystemThatDoesNotCaptureTakesNoListener) {
  LocalBatchSystem batch({.log_dir = testing::TempPath("pump-off"), .capture_output = false});
  RecordingListener listener;
  EXPECT_FALSE(batch.ListenToOutput(&listener));
  ASSERT_TRUE(batch.IssueJob({"plain", "/bin/sh", {"-c", "echo only in the file"}}).ok());
  std::map<std::string, FinishedJob> done = testing::WaitForAll(batch, absl::Seconds(30));
  EXPECT_EQ(testing::ReadFile(done["plain"].log_path), "only in the file\n");
  EXPECT_EQ(listener.Of("plain").out, "");
}

}  // namespace
}  // namespace toil::batch
