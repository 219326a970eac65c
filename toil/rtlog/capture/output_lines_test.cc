// OutputLines: lines, carriage-return progress, long lines, binary bytes.
#include "toil/rtlog/capture/output_lines.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace toil::rtlog::capture {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;

struct Sent {
  std::vector<std::pair<std::string, bool>> lines;  // text, progress
  OutputLines::Emit emit() {
    return [this](absl::string_view text, bool progress) {
      lines.emplace_back(std::string(text), progress);
    };
  }
};

const absl::Time kStart = absl::FromUnixSeconds(1000000);

TEST(OutputLinesTest, LinesEndAtNewlinesWhereverTheReadsCut) {
  Sent sent;
  OutputLines lines(sent.emit());
  lines.Add("first li", kStart);
  lines.Add("ne\nsecond\r", kStart);
  lines.Add("\n\n\nthird", kStart);
  EXPECT_THAT(sent.lines, ElementsAre(Pair("first line", false), Pair("second", false)));
  lines.Finish();  // a last line without a newline still goes
  EXPECT_THAT(sent.lines.back(), Pair("third", false));
  EXPECT_EQ(sent.lines.size(), 3u);
}

TEST(OutputLinesTest, AProgressBarIsSentAsRateLimitedUpdatesThenItsLastState) {
  Sent sent;
  OutputLines lines(sent.emit(), absl::Seconds(1));
  absl::Time now = kStart;
  for (int percent = 0; percent <= 100; ++percent) {
    lines.Add(absl::StrCat("\rdownloading ", percent, "%"), now);
    now += absl::Milliseconds(25);  // 2.5 s in all
    lines.Tick(now);
  }
  lines.Add("\n", now);
  // 0% at once; then the latest state once a second; then the line as it
  // ended.
  EXPECT_THAT(sent.lines,
              ElementsAre(Pair("downloading 0%", true), Pair("downloading 39%", true),
                          Pair("downloading 79%", true), Pair("downloading 100%", false)));
  EXPECT_EQ(lines.progress_skipped(), 98u);
  EXPECT_EQ(lines.next_tick(), absl::InfiniteFuture());
}

TEST(OutputLinesTest, AHeldBackStateGoesOutWhenItsTimeComes) {
  Sent sent;
  OutputLines lines(sent.emit(), absl::Seconds(1));
  lines.Add("step 1\rstep 2\rstep 3", kStart);
  EXPECT_THAT(sent.lines, ElementsAre(Pair("step 1", true)));
  EXPECT_EQ(lines.next_tick(), kStart + absl::Seconds(1));
  lines.Tick(kStart + absl::Milliseconds(999));
  EXPECT_EQ(sent.lines.size(), 1u);
  lines.Tick(kStart + absl::Seconds(1));
  EXPECT_THAT(sent.lines.back(), Pair("step 3", true));
  lines.Finish();
  EXPECT_THAT(sent.lines.back(), Pair("step 3", false));
}

TEST(OutputLinesTest, ALongLineIsCutAndSaysHowLongItWas) {
  Sent sent;
  OutputLines lines(sent.emit());
  const std::string long_line(100000, 'x');
  lines.Add(long_line.substr(0, 60000), kStart);
  lines.Add(long_line.substr(60000) + "\nnext\n", kStart);
  ASSERT_EQ(sent.lines.size(), 2u);
  EXPECT_THAT(sent.lines[0].first, StartsWith(std::string(OutputLines::kMaxLineBytes, 'x')));
  EXPECT_THAT(sent.lines[0].first, HasSubstr("[cut: 100000 bytes"));
  EXPECT_LT(sent.lines[0].first.size(), OutputLines::kMaxLineBytes + 100);
  EXPECT_THAT(sent.lines[1], Pair("next", false));
}

TEST(OutputLinesTest, BinaryBytesArePassedOnAsTheyAre) {
  Sent sent;
  OutputLines lines(sent.emit());
  const std::string binary("\x00\x01\xff\xfe\x1b[31m", 8);
  lines.Add(binary + "\n", kStart);
  ASSERT_EQ(sent.lines.size(), 1u);
  EXPECT_EQ(sent.lines[0].first, binary);
}

}  // namespace
}  // namespace toil::rtlog::capture
