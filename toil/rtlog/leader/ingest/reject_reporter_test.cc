// Tests of rate-limited reports of refused datagrams.
#include "toil/rtlog/leader/ingest/reject_reporter.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace toil::rtlog::internal {
namespace {

using ::testing::HasSubstr;

TEST(RejectReporterTest, AboutOneLinePerSecondPerSenderWithCounts) {
  std::vector<std::string> lines;
  RejectReporter reporter([&](absl::string_view line) { lines.emplace_back(line); },
                          "malformed datagram", "malformed datagrams");
  const absl::Time start = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 1000; ++i) {
    // 1000 datagrams over 2.5 s from one sender, and a few from another.
    reporter.Report("10.0.0.1:5", "bad", start + absl::Milliseconds(i * 2.5));
    if (i % 100 == 0) reporter.Report("10.0.0.2:6", "worse", start + absl::Milliseconds(i * 2.5));
  }
  // 10.0.0.1: lines at 0 s, 1 s and 2 s; 10.0.0.2: at 0 s, 1 s and 2 s.
  EXPECT_EQ(lines.size(), 6u);
  EXPECT_THAT(lines[0], HasSubstr("1 malformed datagram from 10.0.0.1:5 (1 in all)"));
  reporter.FlushAll();
  EXPECT_EQ(reporter.total(), 1010u);
  EXPECT_THAT(lines.back(), HasSubstr("in all)"));
}

TEST(RejectReporterTest, MemoryIsBoundedUnderManySenders) {
  int lines = 0;
  RejectReporter reporter([&](absl::string_view) { ++lines; }, "bad datagram", "bad datagrams");
  for (int i = 0; i < 5000; ++i) {
    reporter.Report("sender-" + std::to_string(i), "bad", absl::FromUnixSeconds(1));
  }
  EXPECT_EQ(reporter.total(), 5000u);
  // One line per tracked sender plus one for all the others together.
  EXPECT_EQ(lines, static_cast<int>(RejectReporter::kMaxSenders) + 1);
}

TEST(RejectReporterTest, TickShowsCountsHeldBackOnceTheIntervalHasPassed) {
  std::vector<std::string> lines;
  RejectReporter reporter([&](absl::string_view line) { lines.emplace_back(line); },
                          "unsigned datagram", "unsigned datagrams");
  const absl::Time start = absl::FromUnixSeconds(1000);
  reporter.Report("10.0.0.1:5", "no signature", start);
  for (int i = 1; i <= 4; ++i) {
    reporter.Report("10.0.0.1:5", "no signature", start + absl::Milliseconds(i * 100));
  }
  ASSERT_EQ(lines.size(), 1u);
  reporter.Tick(start + absl::Milliseconds(900));  // too soon
  EXPECT_EQ(lines.size(), 1u);
  reporter.Tick(start + absl::Milliseconds(1000));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[1], HasSubstr("4 unsigned datagrams from 10.0.0.1:5 (5 in all)"));
  reporter.Tick(start + absl::Seconds(5));  // nothing left to show
  EXPECT_EQ(lines.size(), 2u);
}

}  // namespace
}  // namespace toil::rtlog::internal
