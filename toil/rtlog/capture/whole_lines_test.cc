// WholeLines: which chunks have a run of plain whole lines, how many are not
// empty, and, against OutputLines itself, that taking such a run as one
// piece sends the same lines as OutputLines sends from the whole chunk.
#include "toil/rtlog/capture/whole_lines.h"

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "toil/rtlog/capture/output_lines.h"

namespace toil::rtlog::capture {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> LinesOf(absl::string_view lines) {
  std::vector<std::string> each;
  ForEachLine(lines, [&](absl::string_view line) { each.emplace_back(line); });
  return each;
}

TEST(WholeLinesTest, TheLinesBetweenTheFirstAndTheLastNewline) {
  const std::optional<WholeLines> whole = FindWholeLines("end of one\nb\n\nc\nstart of", 100);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->head, "end of one\n");
  EXPECT_EQ(whole->lines, "b\n\nc\n");
  EXPECT_EQ(whole->tail, "start of");
  EXPECT_EQ(whole->count, 2u);  // the empty line is not one
  EXPECT_THAT(LinesOf(whole->lines), ElementsAre("b", "c"));
}

TEST(WholeLinesTest, EmptyLinesAreNotCountedWhereverTheyAre) {
  const std::optional<WholeLines> whole = FindWholeLines("\n\n\nx\n\n\ny\n\n", 100);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->count, 2u);
  EXPECT_THAT(LinesOf(whole->lines), ElementsAre("x", "y"));
}

TEST(WholeLinesTest, ChunksItCannotVouchForTakeTheLineByLineWay) {
  EXPECT_FALSE(FindWholeLines("no newline", 100).has_value());
  EXPECT_FALSE(FindWholeLines("one\nnewline", 100).has_value());
  EXPECT_FALSE(FindWholeLines("a\nprogress\r50%\nb\n", 100).has_value());
  const std::string just_fits(100, 'x');
  const std::string too_long(101, 'x');
  EXPECT_TRUE(FindWholeLines(absl::StrCat("a\n", just_fits, "\nb\n"), 100).has_value());
  EXPECT_FALSE(FindWholeLines(absl::StrCat("a\n", too_long, "\nb\n"), 100).has_value());
  // Past many short lines, and in the last stretch.
  std::string many;
  for (int i = 0; i < 500; ++i) absl::StrAppend(&many, "line ", i, "\n");
  EXPECT_FALSE(FindWholeLines(absl::StrCat("a\n", many, too_long, "\n", many, "b\n"), 100));
  EXPECT_FALSE(FindWholeLines(absl::StrCat("a\n", many, too_long, "\nb\n"), 100));
  EXPECT_TRUE(FindWholeLines(absl::StrCat("a\n", many, just_fits, "\n", many, "b\n"), 100));
}

// Counted in eight-byte steps: held to a plain count, for every alignment
// and every run of newlines.
TEST(WholeLinesTest, CountsAsAPlainCountDoes) {
  std::mt19937 random(7);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes = "a\n";  // a head
    const int size = static_cast<int>(random() % 70);
    for (int i = 0; i < size; ++i) {
      const unsigned pick = random() % 4;
      bytes.push_back(pick == 0 ? 'x' : pick == 1 ? static_cast<char>(0x8a) : '\n');
    }
    bytes += "\nz";
    const std::optional<WholeLines> whole = FindWholeLines(bytes, 100);
    ASSERT_TRUE(whole.has_value());
    size_t expected = 0;
    for (size_t i = 0; i < whole->lines.size(); ++i) {
      if (whole->lines[i] == '\n' && i > 0 && whole->lines[i - 1] != '\n') ++expected;
    }
    ASSERT_EQ(whole->count, expected) << absl::CEscape(bytes);
  }
}

// Random output: short lines, empty lines, long lines, progress bars and
// binary bytes, cut at random.
std::vector<std::string> RandomChunks(std::mt19937& random) {
  std::string output;
  std::uniform_int_distribution<int> kind(0, 1999);
  for (int i = 0; i < 20000; ++i) {
    const int k = kind(random);
    if (i % 4000 == 3999) {
      output.append(OutputLines::kMaxLineBytes + random() % 3 - 1, 'L');
    } else if (k == 1) {
      absl::StrAppend(&output, "\r", random() % 100, "%");
    } else if (k < 25) {
      output.push_back(static_cast<char>(random() % 256));
    } else if (k < 600) {
      output.push_back('\n');
    } else {
      absl::StrAppend(&output, "line ", i, "\n");
    }
  }
  std::vector<std::string> chunks;
  for (size_t at = 0; at < output.size();) {
    const size_t most = random() % 4 == 0 ? 80 << 10 : 8 << 10;
    const size_t size = std::min<size_t>(output.size() - at, 1 + random() % most);
    chunks.push_back(output.substr(at, size));
    at += size;
  }
  return chunks;
}

TEST(WholeLinesTest, SendsWhatOutputLinesSendsFromTheWholeChunk) {
  std::mt19937 random(20261202);
  for (int round = 0; round < 20; ++round) {
    const std::vector<std::string> chunks = RandomChunks(random);
    std::vector<std::string> expected;
    std::vector<std::string> taken;
    OutputLines reference([&](absl::string_view text, bool) { expected.emplace_back(text); });
    OutputLines lines([&](absl::string_view text, bool) { taken.emplace_back(text); });
    const absl::Time now = absl::FromUnixSeconds(1000000);
    size_t runs = 0;
    for (const std::string& chunk : chunks) {
      reference.Add(chunk, now);
      const std::optional<WholeLines> whole = FindWholeLines(chunk, OutputLines::kMaxLineBytes);
      if (!whole) {
        lines.Add(chunk, now);
        continue;
      }
      ++runs;
      lines.Add(whole->head, now);
      size_t count = 0;
      ForEachLine(whole->lines, [&](absl::string_view line) {
        taken.emplace_back(line);
        ++count;
      });
      EXPECT_EQ(count, whole->count);
      lines.Add(whole->tail, now);
    }
    reference.Finish();
    lines.Finish();
    EXPECT_GT(runs, chunks.size() / 4) << chunks.size();  // the run is taken often
    ASSERT_EQ(taken, expected) << "round " << round;
  }
}

}  // namespace
}  // namespace toil::rtlog::capture
