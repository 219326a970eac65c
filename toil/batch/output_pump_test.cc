// LocalBatchSystem reading its jobs' output in this process (OutputPump),
// with real child processes: the log file gets every byte and the listener
// each stream's bytes in order; the copies of the records a job logs itself
// reach the file only; a job is finished once its output is read, not when
// what it left behind ends; Shutdown reads what cancelled jobs printed last;
// a program printing a page at a time is read without pauses; stdout cut by
// stderr in the file reaches the listener whole. How the pump follows a
// job's stdout file: output_pump_follow_test.cc.
#include "toil/batch/output_pump.h"

#include <signal.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tests/wait_for_jobs.h"
#include "toil/batch/local_batch_system.h"
#include "toil/batch/output_listener.h"
#include "toil/batch/pump_test_util.h"

namespace toil::batch {
namespace {

using testing::RecordingListener;

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

// A program printing as fast as it can hands the pipe a page at a time
// (stdio's buffer): were the reader to pause after such a read, the pipe
// would fill meanwhile and the program wait. A short read still pauses.
TEST(OutputPumpTest, AProgramPrintingAPageAtATimeIsReadWithoutPauses) {
  const std::string dir = testing::TempPath("");
  OutputPump pump;
  ASSERT_TRUE(
      testing::RunUnderPump(pump, 1, dir + "/pages.log",
                            {"sh", "-c", "dd if=/dev/zero bs=4096 count=4096 status=none >&2"}));
  EXPECT_EQ(pump.pauses(), 0u);
  EXPECT_EQ(testing::ReadFile(dir + "/pages.log").size(), 4096u * 4096u);
  ASSERT_TRUE(
      testing::RunUnderPump(pump, 2, dir + "/line.log", {"sh", "-c", "echo a short line >&2"}));
  EXPECT_EQ(pump.pauses(), 1u);
  EXPECT_EQ(testing::ReadFile(dir + "/line.log"), "a short line\n");
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
