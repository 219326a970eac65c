// A run's history and `toil-rtlog logs`, with real processes: `run` keeps
// every record (captured lines included) in its log directory; `logs` shows
// them as the run's terminal did, filtered by job, level, logger name,
// pattern and time, during the run (--follow) or after it, and says what is
// wrong when there is no history.
#include <signal.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/serve_process.h"
#include "tests/test_util.h"

namespace toil::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The record lines of a terminal's text (those that start with a time).
std::vector<std::string> RecordLines(const std::string& text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (line.size() > 2 && absl::ascii_isdigit(line[0]) && absl::ascii_isdigit(line[1])) {
      lines.emplace_back(line);
    }
  }
  return lines;
}

// What each record line says after its time and level ("[job ...] text").
std::vector<std::string> Said(const std::vector<std::string>& lines) {
  std::vector<std::string> said;
  for (const std::string& line : lines) said.push_back(line.substr(line.find('[')));
  return said;
}

class LogsTest : public ::testing::Test {
 protected:
  // A finished run of two jobs that print and log, kept in `dir_`.
  void SetUp() override {
    dir_ = TempPath("run");
    const ProcessResult run =
        RunProcess({Tool(), "run", "--jobs=2", "--max_parallel=1", "--repeat_window=0",
                    "--log_dir=" + dir_, "--", "/bin/sh", "-c",
                    absl::StrCat("echo printed by $TOIL_JOB_NAME; echo complaint >&2; ", TestJob(),
                                 " levels_paced 2 1")},
                   {{"TOIL_RT_LOGGING_LEVEL", std::nullopt}});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    run_lines_ = RecordLines(run.err);
  }
  ProcessResult Logs(std::vector<std::string> flags) {
    std::vector<std::string> argv = {Tool(), "logs"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back(dir_);
    return RunProcess(argv);
  }
  std::string dir_;
  std::vector<std::string> run_lines_;
};

TEST_F(LogsTest, ItShowsTheRunAsItsTerminalDid) {
  const ProcessResult logs = Logs({});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  // 2 jobs: 3 captured lines (the test job says "started") and 2 INFO
  // records each.
  ASSERT_EQ(run_lines_.size(), 2u * 5u);
  EXPECT_EQ(RecordLines(logs.out), run_lines_);
}

TEST_F(LogsTest, ItFiltersByJobLevelLoggerPatternAndTime) {
  EXPECT_THAT(Said(RecordLines(Logs({"--job=*-2", "--name=stdout"}).out)),
              ElementsAre(HasSubstr("stdout] printed by sh-2"), HasSubstr("stdout] started")));
  EXPECT_THAT(RecordLines(Logs({"--name=stderr"}).out).size(), 2u);
  EXPECT_THAT(RecordLines(Logs({"--grep=^info [01]$", "--job=sh-1"}).out).size(), 2u);
  EXPECT_THAT(RecordLines(Logs({"--level=WARNING"}).out), IsEmpty());
  EXPECT_THAT(RecordLines(Logs({"--since=2099-01-01T00:00:00Z"}).out), IsEmpty());
  EXPECT_EQ(RecordLines(Logs({"--since=1h"}).out).size(), run_lines_.size());
  const ProcessResult jsonl = Logs({"--format=jsonl", "--job=sh-1"});
  EXPECT_EQ(std::count(jsonl.out.begin(), jsonl.out.end(), '\n'), 5) << jsonl.out;
  EXPECT_THAT(jsonl.out, HasSubstr("\"job\":\"sh-1\""));
}

TEST_F(LogsTest, MistakesAndAMissingHistoryAreSaid) {
  EXPECT_EQ(Logs({"--since=yesterday-ish"}).exit_code, 2);
  EXPECT_EQ(Logs({"--grep=("}).exit_code, 2);
  EXPECT_EQ(Logs({"--level=LOUD"}).exit_code, 2);
  const ProcessResult none = RunProcess({Tool(), "logs", TempPath("")});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("holds no run history"));
  const ProcessResult missing = RunProcess({Tool(), "logs", "/no/such/run"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("/no/such/run"));
}

TEST(LogsServeTest, AServerGivenAHistoryDirectoryKeepsItsRecordsThere) {
  const std::string dir = TempPath("served-history");  // made if missing
  Serve serve({"--history_dir=" + dir});
  const ProcessResult job = RunProcess({TestJob(), "count", "3"}, serve.JobEnv("sender"));
  ASSERT_EQ(job.exit_code, 0) << job.err;
  serve.Stop();
  const ProcessResult logs = RunProcess({Tool(), "logs", "--job=sender", dir});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_THAT(Said(RecordLines(logs.out)),
              ElementsAre(HasSubstr("record 0"), HasSubstr("record 1"), HasSubstr("record 2")));
  const ProcessResult refused = RunProcess({Tool(), "serve", "--history_dir=/proc/no/such"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("--history_dir=/proc/no/such"));
}

TEST(LogsFollowTest, ItFollowsARunningRunAndEndsWhenItsReaderGoes) {
  const std::string dir = TempPath("running");
  BackgroundProcess run({Tool(), "run", "--log_dir=" + dir, "--", TestJob(), "paced", "600", "50"});
  ASSERT_TRUE(WaitUntil([&] { return !ReadFile(dir + "/records.jsonl").empty(); },
                        absl::Seconds(30), "the run's first record"));
  BackgroundProcess logs({Tool(), "logs", "--follow", "--name=toil-rt", dir});
  // A record the run logs after `logs` started.
  EXPECT_TRUE(logs.WaitForStdout("paced 40", absl::Seconds(60)));
  run.Stop(SIGTERM);
  logs.Stop(SIGTERM);
  // `logs --follow | head -1` ends by itself.
  const ProcessResult head = RunProcess(
      {"/bin/sh", "-c", absl::StrCat(Tool(), " logs --follow --name=toil-rt ", dir, " | head -1")},
      {}, absl::Seconds(30));
  EXPECT_EQ(head.exit_code, 0) << head.err;
  EXPECT_THAT(head.out, HasSubstr("paced 0"));
}

}  // namespace
}  // namespace toil::testing
