// The leader's terminal with many jobs, through the real tool: 50 jobs
// printing the same 20 lines show each line once plus repeat counts that
// add up, while the JSON lines keep all 1,000 records; one job's progress
// lines all show; a job flooding at
// 50,000 lines a second does not push ten quiet jobs' lines off the
// terminal.
#include <signal.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

int CountLines(const std::string& text, const std::string& part) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StrContains(line, part)) ++n;
  }
  return n;
}

// The word of stage k in test_job's "twenty" mode ("a", "b", ... "t").
std::string Stage(int k) { return std::string(1, static_cast<char>('a' + k)); }

TEST(CrowdedTerminalTest, FiftyJobsOfTheSameTwentyLinesFoldAndTheJsonLinesKeepAll) {
  const std::string jsonl = testing::TempPath("fifty.jsonl");
  const ProcessResult result = RunProcess({Tool(), "run", "--jobs=50", "--max_parallel=50",
                                           "--jsonl_file=" + jsonl, "--", TestJob(), "twenty"},
                                          {}, absl::Seconds(120));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_THAT(result.err, HasSubstr("1000 records received"));
  int terminal_lines = 0;
  for (int k = 0; k < 20; ++k) {
    const std::string words = absl::StrCat("stage ", Stage(k), " took ");
    // Shown as records ("[test_job-N host pid P] test_job.cc:L: stage ...")
    // and as folds ("[repeated Rx across J jobs on 1 host] stage ...").
    int shown = 0;
    int folded = 0;
    for (absl::string_view line : absl::StrSplit(result.err, '\n')) {
      if (!absl::StrContains(line, words)) continue;
      ++terminal_lines;
      const size_t at = line.find("[repeated ");
      if (at == absl::string_view::npos) {
        ++shown;
        continue;
      }
      int repeats = 0;
      const size_t from = at + 10;
      ASSERT_TRUE(absl::SimpleAtoi(line.substr(from, line.find('x', from) - from), &repeats))
          << line;
      folded += repeats;
    }
    EXPECT_GE(shown, 1) << words;
    EXPECT_EQ(shown + folded, 50) << words << "\n" << result.err;
  }
  // Each window shows a line once and folds the rest into one more.
  EXPECT_LT(terminal_lines, 200) << result.err;
  const std::string all = testing::ReadFile(jsonl);
  EXPECT_EQ(CountLines(all, "\"msg\":\"stage "), 1000);
}

// One job's progress lines, alike but for their numbers, each show as they
// come: folding is for the same line from other jobs.
TEST(CrowdedTerminalTest, OneJobsProgressShowsLive) {
  const ProcessResult result = RunProcess(
      {Tool(), "run", "--jobs=1", "--", "/bin/sh", "-c",
       absl::StrCat("for i in 1 2 3 4 5 6 7 8; do ", Tool(), " send \"step $i of 8 done\"; done")},
      {}, absl::Seconds(120));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (int i = 1; i <= 8; ++i) {
    EXPECT_EQ(CountLines(result.err, absl::StrCat("] step ", i, " of 8 done")), 1) << i << "\n"
                                                                                   << result.err;
  }
  EXPECT_THAT(result.err, ::testing::Not(HasSubstr("[repeated ")));
}

TEST(CrowdedTerminalTest, AFloodingJobDoesNotCrowdOutQuietOnes) {
  const std::string jsonl = testing::TempPath("flood.jsonl");
  BackgroundProcess serve({Tool(), "serve", "--repeat_window=0", "--jsonl_file=" + jsonl});
  const auto exports = testing::ParseExports(serve.ReadStdoutLines(5, absl::Seconds(30)));
  ASSERT_EQ(exports.size(), 6u);
  auto env_for = [&](const std::string& job) {
    std::vector<testing::EnvChange> env = {{"TOIL_JOB_NAME", job}};
    for (const char* name :
         {"TOIL_RT_LOGGING_ADDRESS", "TOIL_RT_LOGGING_LEVEL", "TOIL_RT_LOGGING_SECRET"}) {
      env.push_back({name, exports.at(name)});
    }
    return env;
  };
  // 3 seconds: one job at 50,000 lines a second, ten at 1 a second.
  std::vector<std::unique_ptr<BackgroundProcess>> jobs;
  jobs.push_back(std::make_unique<BackgroundProcess>(
      std::vector<std::string>{TestJob(), "words", "flood", "150000", "50000"}, env_for("flood")));
  for (int q = 0; q < 10; ++q) {
    const std::string name = absl::StrCat("quiet", std::string(1, static_cast<char>('a' + q)));
    jobs.push_back(std::make_unique<BackgroundProcess>(
        std::vector<std::string>{TestJob(), "words", name, "3", "1"}, env_for(name)));
  }
  std::string job_stderr;
  for (auto& job : jobs) {
    const ProcessResult ended = job->Stop(0, absl::Seconds(120));
    ASSERT_EQ(ended.exit_code, 0) << ended.err;
    job_stderr += ended.err.substr(ended.err.size() > 300 ? ended.err.size() - 300 : 0);
  }
  const ProcessResult result = serve.Stop(SIGTERM);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // Every quiet line the leader received is on the terminal. (A leader
  // slower than the flood, a sanitizer build on a busy machine, drops some
  // in the kernel: those are counted in the summary, and not the terminal's
  // doing.)
  const std::string all = testing::ReadFile(jsonl);
  int quiet_received = 0;
  for (int q = 0; q < 10; ++q) {
    const std::string name = absl::StrCat("quiet", std::string(1, static_cast<char>('a' + q)));
    for (const char* line : {"a", "b", "c"}) {
      const std::string text = absl::StrCat(name, " ", line);
      if (CountLines(all, absl::StrCat("\"msg\":\"", text, "\"")) == 0) continue;
      ++quiet_received;
      EXPECT_EQ(CountLines(result.err, absl::StrCat(": ", text)), 1)
          << text << "\n"
          << result.err.substr(result.err.size() - 2000) << "\njobs' stderr ends:\n"
          << job_stderr;
    }
  }
  EXPECT_GT(quiet_received, 0);
  if (quiet_received < 30) {
    EXPECT_THAT(result.err,
                ::testing::ContainsRegex("[1-9][0-9]* datagrams? dropped by the kernel"))
        << "quiet lines missing from the JSON lines, and not counted as dropped";
  }
  EXPECT_THAT(result.err, HasSubstr("[fair share] "));
  EXPECT_THAT(result.err, HasSubstr(" from flood not shown (more than 200 a second); every "
                                    "line is in " +
                                    jsonl));
  const int flood_shown = CountLines(result.err, ": flood ");
  // 200 a second and a second's burst, over however long the leader took
  // to take the flood in (longer than the job on a slow machine): a small
  // part of what arrived.
  const int flood_received = CountLines(all, "\"msg\":\"flood ");
  EXPECT_LT(flood_shown * 5, flood_received) << "the flood was not limited";
  // The JSON lines have every record the leader received.
  const size_t received_at = result.err.find(" records received");
  ASSERT_NE(received_at, std::string::npos);
  const size_t number_at = result.err.rfind(' ', received_at - 1) + 1;
  int received = 0;
  ASSERT_TRUE(absl::SimpleAtoi(result.err.substr(number_at, received_at - number_at), &received));
  EXPECT_EQ(CountLines(all, "\"msg\":\""), received);
  EXPECT_GT(received, 1000);
}

}  // namespace
}  // namespace toil
