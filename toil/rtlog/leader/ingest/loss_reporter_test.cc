// Tests of the warnings about loss in transit: one line per stream at most
// once a second, and a flood of streams summed up, not listed.
#include "toil/rtlog/leader/ingest/loss_reporter.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace toil::rtlog::internal {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1800000000);

struct Lines {
  std::vector<std::string> lines;
  std::function<void(absl::string_view)> Sink() {
    return [this](absl::string_view line) { lines.emplace_back(line); };
  }
};

SequenceTracker::Stream Losing(uint64_t lost, const std::string& label) {
  SequenceTracker::Stream stream;
  stream.label = label;
  stream.lost = lost;
  return stream;
}

TEST(LossReporterTest, AStreamIsReportedAtMostOnceASecond) {
  Lines out;
  LossReporter reporter(out.Sink());
  SequenceTracker::Stream stream = Losing(3, "job-1 h pid 7");
  reporter.Report(stream, kStart, false);
  stream.lost = 5;
  reporter.Report(stream, kStart + absl::Milliseconds(500), false);
  ASSERT_EQ(out.lines.size(), 1u);
  EXPECT_EQ(out.lines[0],
            "toil-rtlog: warning: 3 records from job-1 h pid 7 lost in transit "
            "(3 in all; the sequence numbers have gaps)");
  reporter.Report(stream, kStart + absl::Seconds(1), false);
  ASSERT_EQ(out.lines.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(out.lines[1], "toil-rtlog: warning: 2 records from job-1"));
}

// 100,000 streams losing records at once: a few lines, then one sum.
TEST(LossReporterTest, AFloodOfStreamsIsSummedUp) {
  Lines out;
  LossReporter reporter(out.Sink());
  std::vector<SequenceTracker::Stream> streams;
  for (int i = 0; i < 100000; ++i) streams.push_back(Losing(1, absl::StrCat("fake pid ", i)));
  for (SequenceTracker::Stream& stream : streams) reporter.Report(stream, kStart, false);
  reporter.Flush(kStart + absl::Seconds(1), false);
  ASSERT_EQ(out.lines.size(), LossReporter::kLinesPerSecond + 1u);
  EXPECT_EQ(out.lines.back(),
            absl::StrCat("toil-rtlog: warning: ", 100000 - LossReporter::kLinesPerSecond,
                         " records lost in transit and 0 records dropped as duplicates from ",
                         100000 - LossReporter::kLinesPerSecond,
                         " more sending processes (too many to name each; `toil-rtlog "
                         "senders` lists them)"));
  reporter.Flush(kStart + absl::Seconds(2), true);  // nothing more held
  EXPECT_EQ(out.lines.size(), LossReporter::kLinesPerSecond + 1u);
}

}  // namespace
}  // namespace toil::rtlog::internal
