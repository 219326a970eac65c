// JobLedger: counts per job and level equal what was sent, the last lines
// are the latest ones in order and cut short, and memory stays bounded with
// more jobs than it keeps.
#include "toil/rtlog/leader/report/job_ledger.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/log_record.pb.h"

namespace toil::rtlog::internal {
namespace {

void Send(JobLedger& ledger, const std::string& job, const std::string& host, int levelno,
          const std::string& message, double created = 1.0e9,
          const std::string& logger = "toil-rt") {
  LogRecord record;
  record.set_name(logger);
  record.set_job(job);
  record.set_hostname(host);
  record.set_levelno(levelno);
  record.set_created(created);
  ledger.Send(LogEntry(record, message, true, "127.0.0.1:9"));
}

TEST(JobLedgerTest, CountsEachJobsRecordsByLevel) {
  JobLedger ledger;
  for (int i = 0; i < 7; ++i) Send(ledger, "b-1", "h2", 20, "info");
  Send(ledger, "a-1", "h1", 30, "warn");
  Send(ledger, "b-1", "h3", 45, "between ERROR and CRITICAL");
  Send(ledger, "a-1", "h1", 5, "trace");
  const std::vector<JobLog> jobs = ledger.Snapshot();
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].job, "b-1");  // first heard from first
  EXPECT_EQ(jobs[0].host, "h3");  // its latest record's
  EXPECT_EQ(jobs[0].records_by_level, (std::array<uint64_t, 6>{0, 0, 7, 0, 1, 0}));
  EXPECT_EQ(jobs[0].records(), 8u);
  EXPECT_EQ(jobs[1].job, "a-1");
  EXPECT_EQ(jobs[1].records_by_level, (std::array<uint64_t, 6>{1, 0, 0, 1, 0, 0}));
}

// A job's records between the first records of thousands of others (whose
// arrival grows and rehashes the table) are all its own.
TEST(JobLedgerTest, RecordsOfAJobTakingTurnsWithNewJobsStayItsOwn) {
  JobLedger ledger;
  for (int i = 0; i < 3000; ++i) {
    Send(ledger, "steady", "h1", 20, "info");
    Send(ledger, absl::StrCat("new-", i), "h2", 30, "warn");
    Send(ledger, "steady", "h1", 40, "error");
  }
  const std::vector<JobLog> jobs = ledger.Snapshot();
  ASSERT_EQ(jobs.size(), 3001u);
  EXPECT_EQ(jobs[0].job, "steady");
  EXPECT_EQ(jobs[0].records_by_level, (std::array<uint64_t, 6>{0, 0, 3000, 0, 3000, 0}));
  for (size_t i = 1; i < jobs.size(); ++i) ASSERT_EQ(jobs[i].records(), 1u) << jobs[i].job;
}

// A record accepted unsigned (forgeable) is counted as such and marked in
// the job's last lines.
TEST(JobLedgerTest, UnsignedRecordsAreCountedApartAndMarked) {
  JobLedger ledger;
  LogRecord record;
  record.set_job("sh-2");
  record.set_levelno(40);
  ledger.Send(LogEntry(record, "signed", true, "127.0.0.1:9", "", Authenticity::kSigned));
  ledger.Send(LogEntry(record, "forged", true, "127.0.0.1:9", "", Authenticity::kUnsigned));
  const std::vector<JobLog> jobs = ledger.Snapshot();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].records(), 2u);
  EXPECT_EQ(jobs[0].unsigned_records, 1u);
  ASSERT_EQ(jobs[0].last_lines.size(), 2u);
  EXPECT_FALSE(jobs[0].last_lines[0].unsigned_record);
  EXPECT_TRUE(jobs[0].last_lines[1].unsigned_record);
}

TEST(JobLedgerTest, KeepsTheLastLinesOldestFirst) {
  JobLedger ledger;
  Send(ledger, "j", "h", 20, "only one");
  ASSERT_EQ(ledger.Snapshot()[0].last_lines.size(), 1u);
  EXPECT_EQ(ledger.Snapshot()[0].last_lines[0].message, "only one");
  for (int i = 0; i < 13; ++i) Send(ledger, "j", "h", 20 + i % 2 * 20, absl::StrCat("line ", i), i);
  const std::vector<JobLog::Line> lines = ledger.Snapshot()[0].last_lines;
  ASSERT_EQ(lines.size(), JobLog::kLastLines);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].message, absl::StrCat("line ", 8 + i));
    EXPECT_EQ(lines[i].created, 8 + i);
    EXPECT_EQ(lines[i].levelno, (8 + i) % 2 ? 40 : 20);
  }
}

TEST(JobLedgerTest, KeepsTheLastCapturedLinesApart) {
  JobLedger ledger;
  for (int i = 0; i < 15; ++i) {
    Send(ledger, "j", "h", 20, absl::StrCat("printed ", i), 1.0e9, i % 2 ? "stderr" : "stdout");
    Send(ledger, "j", "h", 20, absl::StrCat("logged ", i));
  }
  const std::vector<std::string> output = ledger.Snapshot()[0].last_output;
  ASSERT_EQ(output.size(), JobLog::kLastOutputLines);
  for (size_t i = 0; i < output.size(); ++i) EXPECT_EQ(output[i], absl::StrCat("printed ", 5 + i));
}

TEST(JobLedgerTest, CutsLongMessagesAtACharacterBoundary) {
  JobLedger ledger;
  std::string message = "x";
  for (int i = 0; i < 200; ++i) message += "\u00e9";  // two bytes each
  Send(ledger, "j", "h", 20, message);
  const std::string kept = ledger.Snapshot()[0].last_lines[0].message;
  EXPECT_EQ(kept, message.substr(0, JobLog::kMessageBytes - 1) + "\u2026");
}

TEST(JobLedgerTest, StaysBoundedAndCountsWhatItForgets) {
  JobLedger ledger;
  const int jobs = 25000;
  for (int i = 0; i < jobs; ++i) Send(ledger, absl::StrCat("job-", i), "h", 20, "hello");
  const std::vector<JobLog> kept = ledger.Snapshot();
  EXPECT_LE(kept.size(), JobLedger::kMaxJobs);
  EXPECT_EQ(kept.size() + ledger.forgotten(), static_cast<size_t>(jobs));
  EXPECT_EQ(kept.back().job, absl::StrCat("job-", jobs - 1));  // the latest stay
}

}  // namespace
}  // namespace toil::rtlog::internal
