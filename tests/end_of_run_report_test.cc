// The end-of-run report through the real tool: `run` and `serve` count, per
// job and level, exactly the records they received (checked against the
// JSON lines file they wrote beside it), and a failed job comes with its last
// records and the end of its output file.
#include <signal.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "proto/run_report.pb.h"
#include "tests/test_util.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/sinks/json_line.h"

namespace toil {
namespace {

using ::testing::HasSubstr;
using testing::ProcessResult;
using Counts = std::map<std::string, std::array<uint64_t, 6>>;

using testing::TestJob;
using testing::Tool;

// Records per job and level in a JSON lines file.
Counts CountJsonLines(const std::string& path) {
  Counts counts;
  rtlog::JsonLineReader reader;
  for (absl::string_view line : absl::StrSplit(testing::ReadFile(path), '\n', absl::SkipEmpty())) {
    absl::StatusOr<rtlog::ReadLine> read = reader.Read(line);
    EXPECT_TRUE(read.ok()) << read.status() << ": " << line;
    if (!read.ok()) continue;
    ++counts[read->record.job()][rtlog::LevelIndex(rtlog::LevelFromNumber(read->record.levelno()))];
  }
  return counts;
}

rtlog::v1::RunReport ParseReport(const std::string& json) {
  rtlog::v1::RunReport report;
  const auto parsed = google::protobuf::util::JsonStringToMessage(json, &report);
  EXPECT_TRUE(parsed.ok()) << parsed.ToString() << "\n" << json;
  return report;
}

std::array<uint64_t, 6> LevelsOf(const rtlog::v1::JobReport& job) {
  std::array<uint64_t, 6> levels{};
  for (int i = 0; i < job.records_by_level_size() && i < 6; ++i)
    levels[i] = job.records_by_level(i);
  return levels;
}

TEST(EndOfRunReportTest, RunCountsWhatItReceivedPerJobAndShowsWhatTheFailedJobSaidLast) {
  const std::string jsonl = testing::TempPath("run.jsonl");
  const ProcessResult result =
      testing::RunProcess({Tool(), "run", "--jobs=6", "--level=DEBUG", "--report=json",
                           "--jsonl_file=" + jsonl, "--", TestJob(), "report"},
                          {}, absl::Seconds(120));
  ASSERT_EQ(result.exit_code, 4) << result.err;
  const rtlog::v1::RunReport report = ParseReport(result.out);
  const Counts received = CountJsonLines(jsonl);
  ASSERT_EQ(report.jobs_size(), 6) << result.out;
  uint64_t total = 0;
  for (int k = 1; k <= 6; ++k) {
    const rtlog::v1::JobReport& job = report.jobs(k - 1);
    EXPECT_EQ(job.job(), absl::StrCat("test_job-", k));  // in the order issued
    EXPECT_EQ(LevelsOf(job), received.at(job.job())) << job.job();
    total += job.records();
  }
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat(total, " records received")));
  // Nothing was lost on loopback here, so the counts are also the jobs' own.
  // (INFO: 14 records of its own, and "job 5 output", captured.)
  EXPECT_EQ(LevelsOf(report.jobs(4)), (std::array<uint64_t, 6>{0, 1, 16, 2, 1, 0}));

  const rtlog::v1::JobReport& failed = report.jobs(3);
  EXPECT_EQ(failed.state(), "failed");
  EXPECT_EQ(failed.exit_code(), 4);
  EXPECT_EQ(failed.ended(), "exit status 4");
  ASSERT_EQ(failed.last_records_size(), 5);
  // What it printed at its exit, captured, after its last record.
  EXPECT_EQ(failed.last_records(4).level(), "INFO");
  EXPECT_EQ(failed.last_records(4).message(), "job 4 output");
  EXPECT_EQ(failed.last_records(3).level(), "CRITICAL");
  EXPECT_EQ(failed.last_records(3).message(), "job 4 gives up");
  EXPECT_EQ(failed.last_records(2).message(), "warning 0");
  // The tail is the log file's last lines. The file has every line the job
  // printed; its stdout lands there at once, the copies of its records when
  // the leader reads them, so the order between the two is the leader's.
  const std::string log = testing::ReadFile(failed.log_path());
  EXPECT_THAT(log, HasSubstr("job 4 output\n"));
  EXPECT_THAT(log, HasSubstr("job 4 gives up\n"));
  const std::vector<std::string> lines = absl::StrSplit(log, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 10u);
  EXPECT_THAT(failed.log_tail(), ::testing::ElementsAreArray(lines.end() - 10, lines.end()));
  EXPECT_EQ(report.jobs(0).state(), "succeeded");
  EXPECT_EQ(report.jobs(0).last_records_size(), 0);  // only failed jobs'
}

TEST(EndOfRunReportTest, RunWritesTheTableOnItsTerminal) {
  const ProcessResult result =
      testing::RunProcess({Tool(), "run", "--jobs=4", "--level=DEBUG", "--", TestJob(), "report"},
                          {}, absl::Seconds(120));
  ASSERT_EQ(result.exit_code, 4) << result.err;
  EXPECT_THAT(result.err, HasSubstr("toil-rtlog run: report: 4 jobs:\n"));
  EXPECT_THAT(result.err,
              ::testing::ContainsRegex(
                  "\n  test_job-4 +[^ ]+ +exit status 4 +[0-9.]+s +0 +1 +13 +1 +0 +1 +0\n"));
  EXPECT_THAT(result.err, HasSubstr("toil-rtlog run: job test_job-4 failed: exit status 4 on "));
  EXPECT_THAT(result.err, ::testing::ContainsRegex("CRITICAL job 4 gives up\n"));
  EXPECT_THAT(result.err, HasSubstr("  the end of its output:\n"));
  EXPECT_EQ(result.out, "");
}

TEST(EndOfRunReportTest, ServeReportsEveryJobItHeardFromWhenItStops) {
  const std::string jsonl = testing::TempPath("serve.jsonl");
  const std::string report_file = testing::TempPath("serve-report.json");
  testing::BackgroundProcess serve({Tool(), "serve", "--level=DEBUG", "--report=json",
                                    "--report_file=" + report_file, "--jsonl_file=" + jsonl});
  const auto exports = testing::ParseExports(serve.ReadStdoutLines(5, absl::Seconds(30)));
  ASSERT_EQ(exports.size(), 6u);
  for (int k = 1; k <= 3; ++k) {
    std::vector<testing::EnvChange> env = {{"TOIL_JOB_NAME", absl::StrCat("job-", k)}};
    for (const auto& [name, value] : exports) env.push_back({name, value});
    ASSERT_EQ(testing::RunProcess({TestJob(), "report"}, env).exit_code, 0);
  }
  // Stopping takes in what is queued first: the report has all of it.
  const ProcessResult ended = serve.Stop(SIGTERM);
  ASSERT_EQ(ended.exit_code, 0) << ended.err;
  const rtlog::v1::RunReport report = ParseReport(testing::ReadFile(report_file));
  EXPECT_EQ(report.leader(), "serve");
  const Counts received = CountJsonLines(jsonl);
  ASSERT_EQ(report.jobs_size(), 3);
  for (const rtlog::v1::JobReport& job : report.jobs()) {
    EXPECT_EQ(LevelsOf(job), received.at(job.job())) << job.job();
    EXPECT_EQ(job.state(), "");  // a standalone server runs no jobs
  }
}

TEST(EndOfRunReportTest, BadReportFlagsAreNamed) {
  ProcessResult result = testing::RunProcess({Tool(), "run", "--report=xml", "--", "true"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("--report=xml: \"xml\" is not a report format; use text, "
                                    "json or none"));
  result = testing::RunProcess({Tool(), "serve", "--report=json"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("--report=json needs --report_file here"));
}

}  // namespace
}  // namespace toil
