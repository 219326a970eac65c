// LocalBatchSystem with real child processes: how a job ended (its exit
// status, or the signal that killed it), one log file per job named after
// it, and a Shutdown that reports every job it cancelled. Tests' default
// log directories stay in the test's own temporary directory.
#include "toil/batch/local_batch_system.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tests/wait_for_jobs.h"

namespace toil::batch {
namespace {

using ::testing::HasSubstr;

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
  std::map<std::string, FinishedJob> done = testing::WaitForAll(batch, absl::Seconds(30));
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

// Whether process `pid` has ended (it is gone, or a zombie waiting for
// whoever inherited it).
bool ProcessEnded(pid_t pid) {
  const std::string stat = testing::ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t close = stat.rfind(") ");
  return stat.empty() || (close != std::string::npos && stat[close + 2] == 'Z');
}

// The pid a job wrote into `path`, once it has.
pid_t PidIn(const std::string& path) {
  pid_t pid = 0;
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return absl::SimpleAtoi(absl::StripAsciiWhitespace(testing::ReadFile(path)), &pid); },
      absl::Seconds(30), path));
  return pid;
}

// A log directory used again keeps the earlier run's files: a job whose
// file name is taken there gets the next free one.
TEST(LocalBatchSystemTest, AnEarlierRunsLogFilesAreKept) {
  const std::string dir = testing::TempPath("reused");
  for (const char* run : {"first run", "second run"}) {
    LocalBatchSystem batch({.log_dir = dir});
    ASSERT_TRUE(batch.IssueJob({"job-1", "/bin/echo", {run}}).ok());
    testing::WaitForAll(batch, absl::Seconds(30));
  }
  EXPECT_EQ(testing::ReadFile(dir + "/job-1.log"), "first run\n");
  EXPECT_EQ(testing::ReadFile(dir + "/job-1.2.log"), "second run\n");
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
  std::map<std::string, FinishedJob> done = testing::WaitForAll(batch, absl::Seconds(5));
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done["running"].signal, SIGTERM);  // asked first, and it obeyed
  EXPECT_EQ(done["running"].reason, "cancelled");
  EXPECT_EQ(done["queued"].exit_code, 127);
  EXPECT_EQ(done["queued"].reason, "cancelled");
  EXPECT_THAT(done["queued"].error, HasSubstr("never started"));
  EXPECT_FALSE(batch.WaitForFinishedJob(absl::ZeroDuration()).has_value());
  EXPECT_FALSE(batch.IssueJob({"late", "/bin/true", {}}).ok());
}

// Waiting for a job is one sleep, not a look every few milliseconds (which
// cost a leader waiting on long jobs 1% of a CPU).
TEST(LocalBatchSystemTest, WaitingForARunningJobIsOneSleep) {
  LocalBatchSystem batch({.log_dir = testing::TempPath("idle")});
  ASSERT_TRUE(batch.IssueJob({"sleeper", "/bin/sleep", {"600"}}).ok());
  const long switches = testing::ThreadVoluntarySwitches();
  EXPECT_FALSE(batch.WaitForFinishedJob(absl::Milliseconds(500)).has_value());
  EXPECT_LE(testing::ThreadVoluntarySwitches() - switches, 10);
  batch.Shutdown();
  testing::WaitForAll(batch, absl::Seconds(5));
}

// A wait that missed the job's end would last an hour: the test's timeout.
TEST(LocalBatchSystemTest, AWaitEndsWhenAJobEnds) {
  LocalBatchSystem batch({.log_dir = testing::TempPath("woken")});
  ASSERT_TRUE(batch.IssueJob({"short", "/bin/sleep", {"0.2"}}).ok());
  std::optional<FinishedJob> job = batch.WaitForFinishedJob(absl::Hours(1));
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->name, "short");
  EXPECT_EQ(job->exit_code, 0);
}

TEST(LocalBatchSystemTest, AShutdownFromAnotherThreadEndsAWait) {
  LocalBatchSystem batch({.log_dir = testing::TempPath("stopped")});
  ASSERT_TRUE(batch.IssueJob({"sleeper", "/bin/sleep", {"600"}}).ok());
  std::thread stopper([&] { batch.Shutdown(); });
  std::optional<FinishedJob> job = batch.WaitForFinishedJob(absl::Hours(1));
  stopper.join();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->reason, "cancelled");
}

// A job's own clean-up runs (SIGTERM first), and nothing the job started
// outlives it: the whole process group is ended.
TEST(LocalBatchSystemTest, ShutdownEndsTheWholeJobAndLetsItCleanUp) {
  const std::string dir = testing::TempPath("whole");
  LocalBatchSystem batch({.log_dir = dir});
  ASSERT_TRUE(batch
                  .IssueJob({"tidy",
                             "/bin/sh",
                             {"-c", "trap 'echo cleaned up; exit 7' TERM; sleep 600 & echo $! > " +
                                        dir + "/child.pid; wait"}})
                  .ok());
  const pid_t child = PidIn(dir + "/child.pid");
  batch.Shutdown();
  std::map<std::string, FinishedJob> done = testing::WaitForAll(batch, absl::Seconds(5));
  EXPECT_EQ(done["tidy"].exit_code, 7);
  EXPECT_EQ(done["tidy"].reason, "cancelled");
  EXPECT_THAT(testing::ReadFile(dir + "/tidy.log"), HasSubstr("cleaned up"));
  EXPECT_TRUE(testing::WaitUntil([&] { return ProcessEnded(child); }, absl::Seconds(10),
                                 "the job's background process to end"));
}

TEST(LocalBatchSystemTest, AJobThatIgnoresSigtermIsKilledAfterTheGracePeriod) {
  const std::string dir = testing::TempPath("stubborn");
  LocalBatchSystem batch({.log_dir = dir, .stop_grace = absl::Milliseconds(300)});
  ASSERT_TRUE(
      batch.IssueJob({"stubborn", "/bin/sh", {"-c", "trap '' TERM; echo started; exec sleep 600"}})
          .ok());
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return absl::StrContains(testing::ReadFile(dir + "/stubborn.log"), "started"); },
      absl::Seconds(30), "the job to start"));
  const absl::Time asked = absl::Now();
  batch.Shutdown();
  EXPECT_GE(absl::Now() - asked, absl::Milliseconds(300));
  std::map<std::string, FinishedJob> done = testing::WaitForAll(batch, absl::Seconds(5));
  EXPECT_EQ(done["stubborn"].signal, SIGKILL);
  EXPECT_EQ(done["stubborn"].reason, "cancelled");
}

// Each job leads its own process group: a Ctrl-C meant for the leader (sent
// to the leader's group by the terminal) does not reach it.
TEST(LocalBatchSystemTest, EachJobLeadsAProcessGroupOfItsOwn) {
  const std::string dir = testing::TempPath("groups");
  LocalBatchSystem batch({.log_dir = dir});
  ASSERT_TRUE(
      batch.IssueJob({"grouped", "/bin/sh", {"-c", "echo $$ > " + dir + "/job.pid; sleep 600"}})
          .ok());
  const pid_t job = PidIn(dir + "/job.pid");
  EXPECT_EQ(getpgid(job), job);
  EXPECT_NE(getpgid(job), getpgrp());
  batch.Shutdown();
  testing::WaitForAll(batch, absl::Seconds(5));
}

// The environment is the batch system's as it is when a job starts: a level
// changed while the job waited in the queue reaches it.
TEST(LocalBatchSystemTest, AJobGetsTheEnvironmentAsItIsWhenItStarts) {
  const std::string dir = testing::TempPath("late_level");
  LocalBatchSystem batch({.max_parallel = 1, .log_dir = dir});
  batch.SetEnv("TOIL_RT_LOGGING_LEVEL", "INFO");
  const std::string script = "while [ ! -e " + dir +
                             "/go ]; do sleep 0.02; done; "
                             "echo level=$TOIL_RT_LOGGING_LEVEL";
  ASSERT_TRUE(batch.IssueJob({"first", "/bin/sh", {"-c", script}}).ok());
  ASSERT_TRUE(batch.IssueJob({"second", "/bin/sh", {"-c", script}}).ok());
  batch.SetEnv("TOIL_RT_LOGGING_LEVEL", "DEBUG");  // both issued; the second waits
  ASSERT_EQ(system(("touch " + dir + "/go").c_str()), 0);
  testing::WaitForAll(batch, absl::Seconds(30));
  EXPECT_EQ(testing::ReadFile(dir + "/first.log"), "level=INFO\n");
  EXPECT_EQ(testing::ReadFile(dir + "/second.log"), "level=DEBUG\n");
}

// Another leader's variables in the leader's own environment (a shell that
// ran `eval "$(toil-rtlog serve --detach)"`) never reach a job.
TEST(LocalBatchSystemTest, JobsNeverInheritAnotherLeadersVariables) {
  const std::string dir = testing::TempPath("inherit");
  setenv("TOIL_RT_LOGGING_CONTROL", "unix:/elsewhere/control.sock", 1);
  setenv("TOIL_RT_LOGGING_CONTROL_TOKEN", "0123456789abcdef", 1);
  setenv("TOIL_RT_LOGGING_PACKED", "8192", 1);
  setenv("TOIL_JOB_NAME", "the-shells-own", 1);
  setenv("SOMETHING_ELSE", "kept", 1);
  LocalBatchSystem batch({.log_dir = dir});
  batch.SetEnv("TOIL_RT_LOGGING_LEVEL", "INFO");
  ASSERT_TRUE(batch.IssueJob({"env", "/usr/bin/env", {}}).ok());
  testing::WaitForAll(batch, absl::Seconds(30));
  for (const char* name : {"TOIL_RT_LOGGING_CONTROL", "TOIL_RT_LOGGING_CONTROL_TOKEN",
                           "TOIL_RT_LOGGING_PACKED", "TOIL_JOB_NAME", "SOMETHING_ELSE"}) {
    unsetenv(name);
  }
  const std::string env = testing::ReadFile(dir + "/env.log");
  EXPECT_THAT(env, ::testing::Not(HasSubstr("TOIL_RT_LOGGING_CONTROL")));
  EXPECT_THAT(env, ::testing::Not(HasSubstr("TOIL_RT_LOGGING_PACKED")));
  EXPECT_THAT(env, HasSubstr("\nTOIL_JOB_NAME=env\n"));
  EXPECT_THAT(env, HasSubstr("\nTOIL_RT_LOGGING_LEVEL=INFO\n"));
  EXPECT_THAT(env, HasSubstr("\nSOMETHING_ELSE=kept\n"));
}

// The batch system names the job of a process it started, or of one that
// process started (by its process group), for records that name no job.
TEST(LocalBatchSystemTest, KnowsWhichJobAProcessBelongsTo) {
  const std::string dir = testing::TempPath("owner");
  LocalBatchSystem batch({.log_dir = dir});
  ASSERT_TRUE(batch
                  .IssueJob({"owner",
                             "/bin/sh",
                             {"-c", "echo $$ > " + dir + "/job.pid; sleep 600 & echo $! > " + dir +
                                        "/child.pid; wait"}})
                  .ok());
  const pid_t job = PidIn(dir + "/job.pid");
  const pid_t child = PidIn(dir + "/child.pid");
  EXPECT_EQ(batch.JobOfProcess(job), "owner");
  EXPECT_EQ(batch.JobOfProcess(child), "owner");
  EXPECT_EQ(batch.JobOfProcess(getpid()), std::nullopt);
  batch.Shutdown();
  testing::WaitForAll(batch, absl::Seconds(5));
  EXPECT_EQ(batch.JobOfProcess(job), "owner");  // still known after it ended
}

}  // namespace
}  // namespace toil::batch
