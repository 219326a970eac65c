// The end-of-run report: jobs joined with what the leader received from
// them, in the order they were issued; a failed job's last records and the
// end of its log file; text that is aligned and terminal-safe; JSON that
// parses back to the same report.
#include "toil/runner/run_report.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace toil::rtlog {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

batch::FinishedJob Job(batch::JobId id, const std::string& name, int exit_code,
                       const std::string& log_path = "") {
  batch::FinishedJob job;
  job.id = id;
  job.name = name;
  job.exit_code = exit_code;
  job.host = "node1";
  job.log_path = log_path;
  job.wall_time = absl::Milliseconds(1500);
  return job;
}

JobLog Log(const std::string& job, std::array<uint64_t, 6> by_level, uint64_t lost = 0) {
  JobLog log;
  log.job = job;
  log.host = "node1";
  log.records_by_level = by_level;
  log.lost = lost;
  return log;
}

std::string TempFile(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << text;
  return path;
}

TEST(RunReportTest, JoinsJobsWithTheirRecordsInIssueOrder) {
  const std::vector<batch::FinishedJob> jobs = {Job(2, "b", 0), Job(1, "a", 0)};
  const JobLogs logs = {{Log("a", {0, 1, 2, 3, 4, 5}, 7), Log("stray", {0, 0, 1})}};
  const v1::RunReport report = MakeRunReport("run", jobs, logs);
  ASSERT_EQ(report.jobs_size(), 3);
  EXPECT_EQ(report.jobs(0).job(), "a");
  EXPECT_EQ(report.jobs(0).state(), "succeeded");
  EXPECT_THAT(report.jobs(0).records_by_level(), testing::ElementsAre(0, 1, 2, 3, 4, 5));
  EXPECT_EQ(report.jobs(0).records(), 15u);
  EXPECT_EQ(report.jobs(0).lost(), 7u);
  EXPECT_EQ(report.jobs(1).job(), "b");  // nothing received from it
  EXPECT_EQ(report.jobs(1).records(), 0u);
  EXPECT_EQ(report.jobs(2).job(), "stray");  // heard from, not run here
  EXPECT_EQ(report.jobs(2).state(), "");
  EXPECT_EQ(report.jobs(2).records(), 1u);
}

TEST(RunReportTest, AFailedJobComesWithItsLastRecordsAndTheEndOfItsOutput) {
  std::string output;
  for (int i = 1; i <= 30; ++i) absl::StrAppend(&output, "output line ", i, "\n");
  batch::FinishedJob failed = Job(1, "bad", 3, TempFile("bad.log", output));
  JobLog log = Log("bad", {0, 0, 1, 0, 1, 0});
  log.last_lines = {{1.8e9, 20, "starting"}, {1.8e9 + 1, 40, "could not open input"}};
  const v1::RunReport report =
      MakeRunReport("run", {failed, Job(2, "good", 0)}, {{log}}, {.log_tail_lines = 3});
  const v1::JobReport& bad = report.jobs(0);
  EXPECT_EQ(bad.state(), "failed");
  EXPECT_EQ(bad.ended(), "exit status 3");
  ASSERT_EQ(bad.last_records_size(), 2);
  EXPECT_EQ(bad.last_records(1).level(), "ERROR");
  EXPECT_EQ(bad.last_records(1).message(), "could not open input");
  EXPECT_THAT(bad.log_tail(),
              testing::ElementsAre("output line 28", "output line 29", "output line 30"));
  EXPECT_EQ(report.jobs(1).log_tail_size(), 0);  // succeeded: nothing to show

  const std::string text = RunReportText(report, "toil-rtlog run: ");
  EXPECT_THAT(text, HasSubstr("toil-rtlog run: report: 2 jobs:\n"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("toil-rtlog run: job bad failed: exit status 3 on "
                                           "node1; its output: ",
                                           failed.log_path, "\n")));
  EXPECT_THAT(text, HasSubstr("ERROR    could not open input\n"));
  EXPECT_THAT(text, HasSubstr("  the end of its output:\n    output line 28\n"));
  EXPECT_THAT(text, Not(HasSubstr("output line 27")));
}

// What came unsigned (anyone could have sent it) is counted in a column of
// its own and marked among the last records.
TEST(RunReportTest, AFailedJobWhoseOutputFileCannotBeReadHereShowsWhatItPrintedAsReceived) {
  const batch::FinishedJob failed = Job(1, "remote", 1, "/no/such/node/remote.log");
  JobLog log = Log("remote", {0, 0, 3, 0, 0, 0});
  log.last_output = {"reading input", "input.bam: no such file"};
  const v1::RunReport report = MakeRunReport("run", {failed}, {{log}}, {.log_tail_lines = 3});
  EXPECT_THAT(report.jobs(0).log_tail(),
              testing::ElementsAre("reading input", "input.bam: no such file"));
  EXPECT_TRUE(report.jobs(0).log_tail_captured());
  EXPECT_THAT(RunReportText(report, "toil-rtlog run: "),
              HasSubstr("as the leader received it (its output file could not be read here):\n"
                        "    reading input\n"));
  // A file that can be read is what it shows.
  const batch::FinishedJob local = Job(1, "remote", 1, TempFile("local.log", "from the file\n"));
  const v1::RunReport read = MakeRunReport("run", {local}, {{log}}, {.log_tail_lines = 3});
  EXPECT_THAT(read.jobs(0).log_tail(), testing::ElementsAre("from the file"));
  EXPECT_FALSE(read.jobs(0).log_tail_captured());
}

TEST(RunReportTest, UnsignedRecordsAreCountedAndMarked) {
  JobLog log = Log("sh-2", {0, 0, 1, 0, 1, 0});
  log.unsigned_records = 1;
  log.last_lines = {{1.8e9, 20, "real"}, {1.8e9 + 1, 40, "forged", /*unsigned_record=*/true}};
  const v1::RunReport report = MakeRunReport("run", {Job(1, "sh-2", 3)}, {{log}});
  EXPECT_EQ(report.jobs(0).unsigned_records(), 1u);
  EXPECT_TRUE(report.jobs(0).last_records(1).unsigned_record());
  const std::string text = RunReportText(report, "run: ");
  EXPECT_THAT(text, HasSubstr(" LOST UNSIGNED\n"));
  EXPECT_THAT(text, HasSubstr("ERROR    (unsigned) forged\n"));
  EXPECT_THAT(text, HasSubstr("INFO     real\n"));
  // Without unsigned records, no such column.
  EXPECT_THAT(RunReportText(MakeRunReport("run", {Job(1, "a", 0)}, {}), "run: "),
              Not(HasSubstr("UNSIGNED")));
}

TEST(RunReportTest, TheTableIsAlignedAndTerminalSafe) {
  batch::FinishedJob killed = Job(2, "evil\x1b[2Jjob", 137);
  killed.signal = 9;
  killed.reason = "cancelled";
  const v1::RunReport report =
      MakeRunReport("run", {Job(1, "a-1", 0), killed}, {{Log("a-1", {0, 0, 12345, 0, 0, 0})}});
  const std::string text = RunReportText(report, "p: ");
  EXPECT_THAT(text, Not(HasSubstr("\x1b")));
  EXPECT_THAT(text, HasSubstr("evil\\x1b[2Jjob"));
  EXPECT_THAT(text, HasSubstr("p: job evil\\x1b[2Jjob was cancelled: killed by SIGKILL "
                              "(cancelled) on node1\n"));
  // Header and rows: the INFO column's right edge lines up.
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  ASSERT_GE(lines.size(), 4u);
  const size_t info_end = lines[1].find("INFO") + 4;
  EXPECT_EQ(lines[2].find("12345") + 5, info_end) << text;
  EXPECT_EQ(lines[3][info_end - 1], '0') << text;
  EXPECT_THAT(lines[2], HasSubstr("succeeded"));
  EXPECT_THAT(lines[2], HasSubstr("1.5s"));
}

TEST(RunReportTest, AStandaloneServersReportHasNoEndingColumns) {
  const std::string text =
      RunReportText(MakeRunReport("serve", {}, {{Log("x-1", {0, 0, 2})}, 3}), "serve: ");
  EXPECT_THAT(text, HasSubstr("serve: report: 1 job (and 3 more the leader heard from but "
                              "no longer keeps):\n"));
  EXPECT_THAT(text, Not(HasSubstr("ENDED")));
  EXPECT_EQ(RunReportText(MakeRunReport("serve", {}, {}), "serve: "),
            "serve: report: no job was heard from\n");
}

TEST(RunReportTest, JsonParsesBackWith64BitCountsAsStrings) {
  const v1::RunReport report =
      MakeRunReport("run", {Job(1, "a", 0)}, {{Log("a", {0, 0, 17131461293267344513u})}});
  const std::string json = RunReportJson(report);
  EXPECT_THAT(json, HasSubstr("\"17131461293267344513\""));
  EXPECT_EQ(json.back(), '\n');
  EXPECT_EQ(json.find('\n'), json.size() - 1);
  v1::RunReport parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok());
  EXPECT_EQ(parsed.SerializeAsString(), report.SerializeAsString());
}

TEST(RunReportTest, FormatsAreNamed) {
  EXPECT_EQ(*ParseReportFormat("json"), ReportFormat::kJson);
  EXPECT_EQ(*ParseReportFormat("text"), ReportFormat::kText);
  EXPECT_EQ(*ParseReportFormat("none"), ReportFormat::kNone);
  EXPECT_THAT(std::string(ParseReportFormat("xml").status().message()),
              HasSubstr("use text, json or none"));
}

}  // namespace
}  // namespace toil::rtlog
