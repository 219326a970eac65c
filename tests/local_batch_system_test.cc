// LocalBatchSystem with real child processes: how a job ended (its exit
// status, or the signal that killed it), one log file per job named after
// it, and a Shutdown that reports every job it cancelled. Tests' default
// log directories stay in the test's own temporary directory.
#include "toil/batch/local_batch_system.h"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace toil::batch {
namespace {

using ::testing::HasSubstr;

// Every job `batch` reports within `timeout`, by name.
std::map<std::string, FinishedJob> WaitForAll(LocalBatchSystem& batch, absl::Duration timeout) {
  std::map<std::string, FinishedJob> done;
  const absl::Time deadline = absl::Now() + testing::Scaled(timeout);
  while (batch.UnfinishedJobs() > 0 && absl::Now() < deadline) {
    std::optional<FinishedJob> job = batch.WaitForFinishedJob(absl::Milliseconds(200));
    if (job) done[job->name] = *std::move(job);
  }
  EXPECT_EQ(batch.UnfinishedJobs(), 0) << "jobs unfinished after " << timeout;
  return done;
}

// Bazel gives a test TEST_TMPDIR but not TMPDIR: without test_util setting
// it, the directory a batch system makes when given none (and every run's in
// the tests of the CLI) was left in the machine's /tmp, a few hundred per CI
// run.
TEST(LocalBatchSystemTest, ItsDefaultLogDirectoryIsInTheTestsOwnTemporaryDirectory) {
  const char* test_tmpdir = std::getenv("TEST_TMPDIR");
  ASSERT_NE(test_tmpdir, nullptr) << "run this test under bazel test";
  LocalBatchSystem batch(LocalBatchSystemOptions{});
  EXPECT_TRUE(absl::StartsWith(batch.log_dir(), absl::StrCat(test_tmpdir, "/toil-rtlog-jobs-")))
      << batch.log_dir();
}

TEST(LocalBatchSystemTest, ExitStatusOrTheSignalThatKilledIt) {
  LocalBatchSystem batch({.log_dir = testing::TempPath("endings")});
  ASSERT_TRUE(batch.IssueJob({"exits", "/bin/sh", {"-c", "exit 3"}}).ok());
  ASSERT_TRUE(batch.IssueJob({"killed", "/bin/sh", {"-c", "kill -TERM $$"}}).ok());
  std::map<std::string, FinishedJob> done = WaitForAll(batch, absl::Seconds(30));
  EXPECT_EQ(done["exits"].exit_code, 3);
  EXPECT_EQ(done["exits"].signal, 0);
  EXPECT_EQ(done["killed"].exit_code, 128 + SIGTERM);
  EXPECT_EQ(done["killed"].signal, SIGTERM);
}

TEST(LocalBatchSystemTest, EachJobHasALogFileNamedAfterIt) {
  const std::string dir = testing::TempPath("names");
  LocalBatchSystem batch({.log_dir = dir});
  for (const char* word : {"first", "second"}) {
    ASSERT_TRUE(batch.IssueJob({"align/x", "/bin/echo", {word}}).ok());
  }
  ASSERT_TRUE(batch.IssueJob({"align_x.2", "/bin/echo", {"third"}}).ok());
  std::vector<std::string> paths;
  const absl::Time deadline = absl::Now() + testing::Scaled(absl::Seconds(30));
  while (batch.UnfinishedJobs() > 0 && absl::Now() < deadline) {
    std::optional<FinishedJob> job = batch.WaitForFinishedJob(absl::Milliseconds(200));
    if (job) paths.push_back(job->log_path);
  }
  std::sort(paths.begin(), paths.end());
  // The third job's own name is taken by the second's file: it moves on.
  EXPECT_THAT(paths, ::testing::ElementsAre(dir + "/align_x.2.2.log", dir + "/align_x.2.log",
                                            dir + "/align_x.log"));
  EXPECT_EQ(testing::ReadFile(dir + "/align_x.log"), "first\n");
  EXPECT_EQ(testing::ReadFile(dir + "/align_x.2.log"), "second\n");
  EXPECT_EQ(testing::ReadFile(dir + "/align_x.2.2.log"), "third\n");
}

TEST(LocalBatchSystemTest, ShutdownReportsEveryJobItCancelled) {
  const std::string dir = testing::TempPath("shutdown");
  LocalBatchSystem batch({.max_parallel = 1, .log_dir = dir});
  const std::vector<std::string> sleeper = {"-c", "echo started; exec sleep 600"};
  ASSERT_TRUE(batch.IssueJob({"running", "/bin/sh", sleeper}).ok());
  ASSERT_TRUE(batch.IssueJob({"queued", "/bin/sh", sleeper}).ok());
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return absl::StrContains(testing::ReadFile(dir + "/running.log"), "started"); },
      absl::Seconds(30), "the first job to start"));
  batch.Shutdown();
  batch.Shutdown();  // idempotent
  std::map<std::string, FinishedJob> done = WaitForAll(batch, absl::Seconds(5));
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done["running"].signal, SIGKILL);
  EXPECT_EQ(done["running"].reason, "cancelled");
  EXPECT_EQ(done["queued"].exit_code, 127);
  EXPECT_EQ(done["queued"].reason, "cancelled");
  EXPECT_THAT(done["queued"].error, HasSubstr("never started"));
  EXPECT_FALSE(batch.WaitForFinishedJob(absl::ZeroDuration()).has_value());
  EXPECT_FALSE(batch.IssueJob({"late", "/bin/true", {}}).ok());
}

}  // namespace
}  // namespace toil::batch
