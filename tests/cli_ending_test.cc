// Every way `toil-rtlog run` and `serve` end leaves their summary: a run
// interrupted by SIGINT, SIGTERM or SIGHUP cancels its jobs and still says
// how each ended and where its output is; serve stops cleanly on SIGHUP too;
// a job killed by a signal is named as such.
#include <signal.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace toil {
namespace {

using ::testing::HasSubstr;
using testing::BackgroundProcess;
using testing::ProcessResult;
using testing::RunProcess;

using testing::Tool;
using testing::TestJob;

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
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat(
                              "toil-rtlog run: interrupted by ", name,
                              ": 3 jobs, 0 failed, 3 cancelled; ")));
  EXPECT_THAT(result.err, HasSubstr("records received"));
  EXPECT_THAT(result.err, HasSubstr("job output in " + log_dir));
  for (const char* job : {"test_job-1", "test_job-2"}) {
    // "... (cancelled) on HOST; its output: ...": the host its records named.
    EXPECT_THAT(result.err, HasSubstr(absl::StrCat("job ", job, " was cancelled: killed by "
                                                   "SIGKILL (cancelled) on ")));
    EXPECT_THAT(result.err, HasSubstr(absl::StrCat("; its output: ", log_dir, "/", job, ".log\n")));
    EXPECT_THAT(testing::ReadFile(absl::StrCat(log_dir, "/", job, ".log")),
                HasSubstr("started"));
  }
  EXPECT_THAT(result.err, HasSubstr("job test_job-3 was cancelled: exit status 127 "
                                    "(cancelled): never started"));
}

INSTANTIATE_TEST_SUITE_P(EachStopSignal, RunInterruptedTest,
                         ::testing::Values(SIGINT, SIGTERM, SIGHUP),
                         [](const auto& info) {
                           return std::string(sigabbrev_np(info.param));
                         });

TEST(CliEndingTest, ServeStopsCleanlyOnSighup) {
  BackgroundProcess serve({Tool(), "serve"});
  ASSERT_THAT(serve.ReadStdoutLines(5, absl::Seconds(30)),
              HasSubstr("TOIL_RT_LOGGING_CONTROL"));
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
                                                 "output: ", log_dir, "/sh-1.log")));
  EXPECT_THAT(result.err, HasSubstr("1 job, 1 failed;"));
}

}  // namespace
}  // namespace toil
