// Tests of rate-limited malformed-datagram reports.
#include "toil/rtlog/internal/malformed_reporter.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace toil::rtlog::internal {
namespace {

using ::testing::HasSubstr;

TEST(MalformedReporterTest, AboutOneLinePerSecondPerSenderWithCounts) {
  std::vector<std::string> lines;
  MalformedReporter reporter([&](absl::string_view line) { lines.emplace_back(line); });
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

TEST(MalformedReporterTest, MemoryIsBoundedUnderManySenders) {
  int lines = 0;
  MalformedReporter reporter([&](absl::string_view) { ++lines; });
  for (int i = 0; i < 5000; ++i) {
    reporter.Report("sender-" + std::to_string(i), "bad", absl::FromUnixSeconds(1));
  }
  EXPECT_EQ(reporter.total(), 5000u);
  // One line per tracked sender plus one for all the others together.
  EXPECT_EQ(lines, static_cast<int>(MalformedReporter::kMaxSenders) + 1);
}

}  // namespace
}  // namespace toil::rtlog::internal
