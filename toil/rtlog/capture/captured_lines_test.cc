// CapturedLines: lines as records naming their job, process and stream, at
// each stream's level and only at or above the run's; the last line without
// a newline at the end; when the queue is full, every line either
// delivered or counted in a warning of its job's, none lost unsaid; and it
// says it has no room while its queue is over half full.
#include "toil/rtlog/capture/captured_lines.h"

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace toil::rtlog::capture {
namespace {

using ::testing::ElementsAre;

// Every record delivered, kept.
class Delivered {
 public:
  CapturedLines::Deliver Function() {
    return [this](const LogRecord& record) {
      if (hold_ != nullptr) hold_->WaitForNotification();
      std::lock_guard<std::mutex> lock(mu_);
      records_.push_back(record);
    };
  }
  // Until `hold` is notified, delivery waits.
  void HoldUntil(absl::Notification* hold) { hold_ = hold; }
  std::vector<LogRecord> records() const {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }

 private:
  absl::Notification* hold_ = nullptr;
  mutable std::mutex mu_;
  std::vector<LogRecord> records_;
};

const CapturedLines::Source kAlign{1, "align-1", 4242, "bwa"};

TEST(CapturedLinesTest, LinesBecomeRecordsOfTheirJobAtTheirStreamsLevel) {
  Delivered delivered;
  CapturedLines lines(
      {.stderr_level = Level::kWarning}, [] { return Level::kInfo; }, delivered.Function());
  lines.Output(kAlign, CapturedLines::kStdout, "first\nsec", absl::Now());
  lines.Output(kAlign, CapturedLines::kStderr, "trouble\n", absl::Now());
  lines.Output(kAlign, CapturedLines::kStdout, "ond\nno newline", absl::Now());
  lines.Ended(kAlign);
  lines.Stop();
  std::vector<std::string> seen;
  for (const LogRecord& record : delivered.records()) {
    seen.push_back(absl::StrCat(record.name(), " ", record.levelname(), " ", record.msg()));
    EXPECT_EQ(record.job(), "align-1");
    EXPECT_EQ(record.process(), 4242);
    EXPECT_EQ(record.process_name(), "bwa");
    EXPECT_FALSE(record.hostname().empty());
  }
  EXPECT_THAT(seen, ElementsAre("stdout INFO first", "stderr WARNING trouble", "stdout INFO second",
                                "stdout INFO no newline"));
}

// What the records say, in order: logger, level, text.
std::vector<std::string> Said(const Delivered& delivered) {
  std::vector<std::string> said;
  for (const LogRecord& record : delivered.records()) {
    said.push_back(absl::StrCat(record.name(), " ", record.levelname(), " ", record.msg()));
  }
  return said;
}

// Runs of whole lines are queued as one piece: the records are the same,
// in the same order, as when the bytes come one at a time.
TEST(CapturedLinesTest, WholeReadsAndByteByByteReadsMakeTheSameRecords) {
  const std::string out = "held\nalpha\n\nbeta\ngamma\npartial";
  const std::string err = "e1\ne2\n\ne3\n";
  std::vector<std::vector<std::string>> said;
  for (const bool whole : {true, false}) {
    Delivered delivered;
    CapturedLines lines(
        {.stderr_level = Level::kWarning}, [] { return Level::kInfo; }, delivered.Function());
    for (const auto& [stream, bytes] :
         {std::pair{CapturedLines::kStdout, out}, std::pair{CapturedLines::kStderr, err}}) {
      if (whole) {
        lines.Output(kAlign, stream, bytes, absl::Now());
        continue;
      }
      for (const char byte : bytes) {
        lines.Output(kAlign, stream, absl::string_view(&byte, 1), absl::Now());
      }
    }
    lines.Ended(kAlign);
    lines.Stop();
    said.push_back(Said(delivered));
  }
  EXPECT_THAT(said[0], ElementsAre("stdout INFO held", "stdout INFO alpha", "stdout INFO beta",
                                   "stdout INFO gamma", "stderr WARNING e1", "stderr WARNING e2",
                                   "stderr WARNING e3", "stdout INFO partial"));
  EXPECT_EQ(said[0], said[1]);
}

TEST(CapturedLinesTest, LinesBelowTheRunsLevelAreNotSent) {
  Delivered delivered;
  std::atomic<int> level{static_cast<int>(Level::kWarning)};
  CapturedLines lines(
      {.stderr_level = Level::kError}, [&] { return static_cast<Level>(level.load()); },
      delivered.Function());
  lines.Output(kAlign, CapturedLines::kStdout, "info line\n", absl::Now());
  lines.Output(kAlign, CapturedLines::kStderr, "error line\n", absl::Now());
  level = static_cast<int>(Level::kInfo);
  lines.Output(kAlign, CapturedLines::kStdout, "now shown\n", absl::Now());
  lines.Stop();
  std::vector<std::string> seen;
  for (const LogRecord& record : delivered.records()) seen.push_back(record.msg());
  EXPECT_THAT(seen, ElementsAre("error line", "now shown"));
}

// The count in a warning "... (N in all; ...)".
uint64_t InAll(const std::string& warning) {
  const size_t in_all = warning.find(" in all");
  const size_t open = warning.rfind('(', in_all);
  uint64_t n = 0;
  if (in_all == std::string::npos || open == std::string::npos ||
      !absl::SimpleAtoi(warning.substr(open + 1, in_all - open - 1), &n)) {
    ADD_FAILURE() << "no count in: " << warning;
  }
  return n;
}

TEST(CapturedLinesTest, WhatTheFullQueueHasNoRoomForIsCountedAndSaid) {
  Delivered delivered;
  absl::Notification release;
  delivered.HoldUntil(&release);
  CapturedLines lines(
      {.queue_lines = 10}, [] { return Level::kInfo; }, delivered.Function());
  constexpr int kLines = 5000;
  // Chunks of many lines (counted without being made while the queue is
  // full), one-line chunks, and empty lines (never sent, never counted).
  int written = 0;
  while (written < kLines) {
    std::string chunk;
    const int n = written % 3 == 0 ? 1 : 97;
    for (int i = 0; i < n && written < kLines; ++i)
      absl::StrAppend(&chunk, "line ", ++written, "\n\n");
    lines.Output(kAlign, CapturedLines::kStdout, chunk, absl::Now());
  }
  lines.Ended(kAlign);
  release.Notify();
  lines.Stop();
  size_t shown = 0;
  uint64_t counted = 0;
  for (const LogRecord& record : delivered.records()) {
    if (record.name() == "stdout") ++shown;
    if (record.name() == "toil-rt") counted = InAll(record.msg());
  }
  EXPECT_GT(counted, 0u);
  EXPECT_EQ(shown + counted, static_cast<size_t>(kLines));
  EXPECT_EQ(lines.dropped(), counted);
}

// A caller that can hold its output back (a followed file) asks first:
// room while at most half the queue is taken, again once it is delivered.
TEST(CapturedLinesTest, HasNoRoomWhileItsQueueIsOverHalfFull) {
  absl::Notification entered;
  absl::Notification release;
  std::atomic<int> delivered{0};
  CapturedLines lines(
      {.queue_lines = 10}, [] { return Level::kInfo; },
      [&](const LogRecord&) {
        if (!entered.HasBeenNotified()) entered.Notify();
        release.WaitForNotification();
        ++delivered;
      });
  EXPECT_TRUE(lines.HasRoom());
  // The first line is taken, and held in delivery; the next ones wait.
  lines.Output(kAlign, CapturedLines::kStdout, "held\n", absl::Now());
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  lines.Output(kAlign, CapturedLines::kStdout, "1\n2\n3\n4\n5\n", absl::Now());
  EXPECT_TRUE(lines.HasRoom());  // 5 of 10
  lines.Output(kAlign, CapturedLines::kStdout, "6\n", absl::Now());
  EXPECT_FALSE(lines.HasRoom());  // 6 of 10
  release.Notify();
  EXPECT_TRUE(
      testing::WaitUntil([&] { return lines.HasRoom(); }, absl::Seconds(30), "the queue taken"));
  lines.Stop();
  EXPECT_EQ(delivered.load(), 7);
  EXPECT_EQ(lines.dropped(), 0u);
}

}  // namespace
}  // namespace toil::rtlog::capture
