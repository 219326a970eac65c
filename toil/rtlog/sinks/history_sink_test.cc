// HistorySink: the run's records in records.jsonl, rotated into
// records.N.jsonl, never more than max_files files, the newest kept, in
// order, and read back as they were sent.
#include "toil/rtlog/sinks/history_sink.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/sinks/json_line.h"

namespace toil::rtlog {
namespace {

std::string TestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name);
  mkdir(dir.c_str(), 0755);
  return dir;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void SendRecords(LogSink& sink, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    LogRecord record;
    record.set_job("job-1");
    record.set_levelno(20);
    record.set_msg(absl::StrCat("record ", i));
    sink.Send(LogEntry(record, record.msg(), true, "127.0.0.1:9"));
  }
  sink.Flush();
}

// The messages of the history's files, oldest first.
std::vector<std::string> Messages(const std::string& dir, int files) {
  std::vector<std::string> messages;
  JsonLineReader reader;
  for (int i = files - 1; i >= 0; --i) {
    for (absl::string_view line :
         absl::StrSplit(Read(HistorySink::FileName(dir, i)), '\n', absl::SkipEmpty())) {
      absl::StatusOr<ReadLine> read = reader.Read(line);
      EXPECT_TRUE(read.ok()) << read.status();
      if (read.ok()) messages.push_back(read->message);
    }
  }
  return messages;
}

TEST(HistorySinkTest, RecordsAreKeptAsJsonLinesAndReadBack) {
  const std::string dir = TestDir("plain");
  auto sink = HistorySink::Open(dir);
  ASSERT_TRUE(sink.ok()) << sink.status();
  SendRecords(**sink, 0, 3);
  EXPECT_EQ(Messages(dir, 1), (std::vector<std::string>{"record 0", "record 1", "record 2"}));
  EXPECT_EQ((*sink)->lost_lines(), 0u);
}

TEST(HistorySinkTest, ItRotatesAndKeepsTheNewestFilesOnly) {
  const std::string dir = TestDir("rotated");
  auto sink = HistorySink::Open(dir, {.max_file_bytes = 2000, .max_files = 3});
  ASSERT_TRUE(sink.ok()) << sink.status();
  SendRecords(**sink, 0, 500);
  for (int i = 0; i < 3; ++i) {
    const std::string file = Read(HistorySink::FileName(dir, i));
    EXPECT_FALSE(file.empty()) << i;
    EXPECT_LT(file.size(), 2000u + 400u) << i;  // the limit, and one line more
  }
  EXPECT_NE(access(HistorySink::FileName(dir, 3).c_str(), F_OK), 0);
  // What is kept is the end of the run, in order, with no gap.
  const std::vector<std::string> kept = Messages(dir, 3);
  ASSERT_FALSE(kept.empty());
  EXPECT_EQ(kept.back(), "record 499");
  for (size_t i = 1; i < kept.size(); ++i) {
    EXPECT_EQ(kept[i], absl::StrCat("record ", 500 - kept.size() + i)) << i;
  }
}

TEST(HistorySinkTest, ANewHistoryReplacesAnOldOneWhole) {
  const std::string dir = TestDir("again");
  {
    auto sink = HistorySink::Open(dir, {.max_file_bytes = 500, .max_files = 8});
    ASSERT_TRUE(sink.ok());
    SendRecords(**sink, 0, 100);
  }
  ASSERT_EQ(access(HistorySink::FileName(dir, 5).c_str(), F_OK), 0);
  auto sink = HistorySink::Open(dir, {.max_file_bytes = 500, .max_files = 2});
  ASSERT_TRUE(sink.ok());
  SendRecords(**sink, 1000, 1);
  EXPECT_NE(access(HistorySink::FileName(dir, 1).c_str(), F_OK), 0);
  EXPECT_NE(access(HistorySink::FileName(dir, 5).c_str(), F_OK), 0);
  EXPECT_EQ(Messages(dir, 1), std::vector<std::string>{"record 1000"});
}

TEST(HistorySinkTest, ADirectoryItCannotWriteIsAClearError) {
  auto sink = HistorySink::Open("/proc/no-such-dir");
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.status().message().find("cannot write the run's history"), std::string::npos);
}

}  // namespace
}  // namespace toil::rtlog
