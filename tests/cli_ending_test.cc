// Every way `toil-rtlog run` and `serve` end leaves their summary: a run
// interrupted by SIGINT, SIGTERM or SIGHUP cancels its jobs and still says
// how each ended and where its output is; serve stops cleanly on SIGHUP too;
// a job killed by a signal is named as such.
#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace toil {
namespace {

using testing::BackgroundProcess;
using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::RunProcess;

using testing::TestJob;
using testing::Tool;

class RunInterruptedTest : public ::testing::TestWithParam<int> {};

TEST_P(RunInterruptedTest, CancelsTheJobsAndReportsEachWithItsLog) {
  const int signal_number = GetParam();
  const std::string name = absl::StrCat("SIG", sigabbrev_np(signal_number));
  const std::string log_dir = testing::TempPath(name);
  // Two jobs run (and log) at once; the third waits its turn.
  BackgroundProcess run({Tool(), "run", "--jobs=3", "--max_parallel=2", "--repeat_window=0",
                         "--log_dir=" + log_dir, "--", TestJob(), "paced", "100000", "20"});
  ASSERT_TRUE(run.WaitForStderr("paced 3", absl::Seconds(60)));
  ASSERT_TRUE(run.WaitForStderr("[test_job-1 ", absl::Seconds(60)));
  ASSERT_TRUE(run.WaitForStderr("[test_job-2 ", absl::Seconds(60)));
  const ProcessResult result = run.Stop(signal_number);

  EXPECT_EQ(result.exit_code, 128 + signal_number) << result.err;
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat("toil-rtlog run: interrupted by ", name,
                                                 ": 3 jobs, 0 failed, 3 cancelled; ")));
  EXPECT_THAT(result.err, HasSubstr("records received"));
  EXPECT_THAT(result.err, HasSubstr("job output in " + log_dir));
  for (const char* job : {"test_job-1", "test_job-2"}) {
    // "... (cancelled) on HOST; its output: ...": the host its records named.
    // A job is asked to end first (SIGTERM), and the C++ job obeys.
    EXPECT_THAT(result.err, HasSubstr(absl::StrCat("job ", job,
                                                   " was cancelled: killed by "
                                                   "SIGTERM (cancelled) on ")));
    EXPECT_THAT(result.err, HasSubstr(absl::StrCat("; its output: ", log_dir, "/", job, ".log\n")));
    EXPECT_THAT(testing::ReadFile(absl::StrCat(log_dir, "/", job, ".log")), HasSubstr("started"));
  }
  EXPECT_THAT(result.err, HasSubstr("job test_job-3 was cancelled: exit status 127 "
                                    "(cancelled): never started"));
}

INSTANTIATE_TEST_SUITE_P(EachStopSignal, RunInterruptedTest,
                         ::testing::Values(SIGINT, SIGTERM, SIGHUP),
                         [](const auto& info) { return std::string(sigabbrev_np(info.param)); });

// A job of `sh -c 'sleep 600 & echo $! > DIR/NAME.pid; wait'`: what a
// cancelled run must not leave behind is the `sleep`.
std::vector<std::string> JobWithABackgroundProcess(const std::string& dir) {
  return {"/bin/sh", "-c",
          absl::StrCat("sleep 600 & echo $! > ", dir, "/$TOIL_JOB_NAME.pid; echo started; wait")};
}

// The pids that the jobs sh-1 ... sh-N wrote into `dir`, once all have.
std::vector<pid_t> BackgroundPids(const std::string& dir, int jobs) {
  std::vector<pid_t> pids;
  for (int i = 1; i <= jobs; ++i) {
    const std::string path = absl::StrCat(dir, "/sh-", i, ".pid");
    pid_t pid = 0;
    EXPECT_TRUE(testing::WaitUntil(
        [&] { return absl::SimpleAtoi(absl::StripAsciiWhitespace(testing::ReadFile(path)), &pid); },
        absl::Seconds(60), path));
    pids.push_back(pid);
  }
  return pids;
}

// Whether process `pid` has ended (gone, or a zombie nobody reaped yet).
bool Ended(pid_t pid) {
  const std::string stat = testing::ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t close = stat.rfind(") ");
  return stat.empty() || (close != std::string::npos && stat[close + 2] == 'Z');
}

void ExpectAllEnd(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) {
    EXPECT_TRUE(testing::WaitUntil([&] { return Ended(pid); }, absl::Seconds(20),
                                   absl::StrCat("process ", pid, " of a cancelled job to end")));
  }
}

TEST(CliEndingTest, NothingOfACancelledJobSurvivesTheRun) {
  const std::string dir = testing::TempPath("survivors");
  BackgroundProcess run([&] {
    std::vector<std::string> argv = {
        Tool(), "run", "--jobs=3", "--max_parallel=3", "--log_dir=" + dir, "--"};
    for (std::string& arg : JobWithABackgroundProcess(dir)) argv.push_back(arg);
    return argv;
  }());
  const std::vector<pid_t> pids = BackgroundPids(dir, 3);
  const ProcessResult result = run.Stop(SIGTERM);
  EXPECT_EQ(result.exit_code, 128 + SIGTERM) << result.err;
  EXPECT_THAT(result.err, HasSubstr("interrupted by SIGTERM: 3 jobs, 0 failed, 3 cancelled"));
  ExpectAllEnd(pids);
}

TEST(CliEndingTest, NothingOfItsJobsSurvivesARunKilledWithSigkill) {
  const std::string dir = testing::TempPath("orphans");
  BackgroundProcess run([&] {
    std::vector<std::string> argv = {Tool(), "run", "--jobs=2", "--log_dir=" + dir, "--"};
    for (std::string& arg : JobWithABackgroundProcess(dir)) argv.push_back(arg);
    return argv;
  }());
  const std::vector<pid_t> pids = BackgroundPids(dir, 2);
  run.Stop(SIGKILL);
  ExpectAllEnd(pids);
}

// Ctrl-C in a terminal sends SIGINT to the whole foreground process group:
// the run, and (were they in it) its jobs. Every job is then cancelled by
// the run, none failed by the signal.
TEST(CliEndingTest, CtrlCInATerminalCancelsEveryJob) {
  const std::string dir = testing::TempPath("ctrl_c");
  BackgroundProcess run(
      {Tool(), "run", "--jobs=3", "--max_parallel=3", "--log_dir=" + dir, "--", "/bin/sh", "-c",
       "echo $$ > " + dir + "/$TOIL_JOB_NAME.pid; exec sleep 600"},
      {}, /*own_process_group=*/true);
  BackgroundPids(dir, 3);
  const ProcessResult result = run.StopGroup(SIGINT);
  EXPECT_EQ(result.exit_code, 128 + SIGINT) << result.err;
  EXPECT_THAT(result.err, HasSubstr("interrupted by SIGINT: 3 jobs, 0 failed, 3 cancelled"));
  EXPECT_THAT(result.err, ::testing::Not(HasSubstr("failed: killed by SIGINT")));
}

// A stop signal that arrives before the first job is issued still ends the
// run as interrupted (128 + the signal), never as a success. The signal is
// made pending before `run` starts (blocked, then raised, then exec): it
// arrives at the earliest moment there is.
TEST(CliEndingTest, ASignalBeforeTheFirstJobIsAnInterruption) {
  const std::string dir = testing::TempPath("early");
  const ProcessResult result =
      RunProcess({"/usr/bin/python3", "-c",
                  "import os, signal, sys\n"
                  "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})\n"
                  "os.kill(os.getpid(), signal.SIGTERM)\n"
                  "os.execv(sys.argv[1], sys.argv[1:])\n",
                  Tool(), "run", "--jobs=3", "--log_dir=" + dir, "--", "/bin/sleep", "600"});
  EXPECT_EQ(result.exit_code, 128 + SIGTERM) << result.err;
  EXPECT_THAT(result.err, HasSubstr("toil-rtlog run: interrupted by SIGTERM: 3 jobs, 0 failed"));
}

TEST(CliEndingTest, ServeStopsCleanlyOnSighup) {
  BackgroundProcess serve({Tool(), "serve"});
  ASSERT_THAT(serve.ReadStdoutLines(5, absl::Seconds(30)), HasSubstr("TOIL_RT_LOGGING_CONTROL"));
  const ProcessResult result = serve.Stop(SIGHUP);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("toil-rtlog serve: stopped by SIGHUP; 0 records received"));
}

TEST(CliEndingTest, AJobKilledByASignalIsNamedAsSuch) {
  const std::string log_dir = testing::TempPath("killed");
  const ProcessResult result =
      RunProcess({Tool(), "run", "--log_dir=" + log_dir, "--", "/bin/sh", "-c", "kill -KILL $$"});
  EXPECT_EQ(result.exit_code, 137) << result.err;
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat("job sh-1 failed: killed by SIGKILL; its "
                                                 "output: ",
                                                 log_dir, "/sh-1.log")));
  EXPECT_THAT(result.err, HasSubstr("1 job, 1 failed;"));
}

}  // namespace
}  // namespace toil
