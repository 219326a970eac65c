// Tests of the human-readable record line and its terminal safety.
#include "toil/rtlog/common/line_format.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "toil/rtlog/base/level.h"

namespace toil::rtlog::internal {
namespace {

using ::testing::HasSubstr;

std::string Safe(absl::string_view text) {
  std::string out;
  AppendTerminalSafe(text, "  ", &out);
  return out;
}

// The time's milliseconds and the padded level are written by hand (they
// run for every record): the same as StrFormat's ".%03d" and "%-8s", for
// every millisecond and every level.
TEST(LineFormatTest, MillisecondsAndLevelAreWhatStrFormatWrites) {
  LineFormatOptions options;
  options.time_zone = absl::UTCTimeZone();
  for (int levelno : {0, 5, 10, 20, 25, 30, 40, 50, 99}) {
    for (int millis = 0; millis < 1000; ++millis) {
      const absl::Time when =
          absl::FromUnixSeconds(1763920000) + absl::Milliseconds(millis) + absl::Microseconds(200);
      std::string line;
      AppendNoticeLine(when, levelno, "label", "text", options, &line);
      const std::string expected = absl::StrFormat("17:46:40.%03d %-8s [label] text\n", millis,
                                                   LevelName(LevelFromNumber(levelno)));
      ASSERT_EQ(line, expected) << levelno << " " << millis;
    }
  }
}

TEST(LineFormatTest, ControlCharactersAreEscaped) {
  EXPECT_EQ(Safe("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(Safe("cr\rbs\bbel\a"), "cr\\x0dbs\\x08bel\\x07");
  EXPECT_EQ(Safe(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(Safe("del\x7f"), "del\\x7f");
  EXPECT_EQ(Safe("c1 \xc2\x9b"), "c1 \\u009b");            // CSI as C1
  EXPECT_EQ(Safe("bidi \xe2\x80\xae!"), "bidi \\u202e!");  // RLO
  EXPECT_EQ(Safe("bad \xff utf8"), "bad \\xff utf8");
  EXPECT_EQ(Safe("tab\tok é 𝄞"), "tab\tok é 𝄞");
}

TEST(LineFormatTest, AFieldStaysOnItsLine) {
  std::string out;
  AppendTerminalField("a\nb\rc\td\x1b[2J\xe2\x80\xae", &out);
  EXPECT_EQ(out, "a\\nb\\rc\\td\\x1b[2J\\u202e");
}

// A job name holding a newline and a whole fake record stays inside the
// sender part of the one real line.
TEST(LineFormatTest, ASenderCannotStartALineOfItsOwn) {
  LogRecord record;
  record.set_job("x\n05:00:00.000 CRITICAL [admin node1 pid 1] forged");
  record.set_hostname("h\n");
  record.set_name("n\r");
  record.set_filename("f\n");
  std::string line;
  AppendRecordLine(record, "m", LineFormatOptions(), &line);
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
  EXPECT_THAT(line, HasSubstr("[x\\n05:00:00.000 CRITICAL [admin node1 pid 1] forged h\\n pid 0 "
                              "n\\r] f\\n:0: m\n"));
}

TEST(LineFormatTest, NewlinesBecomeIndentedContinuations) {
  EXPECT_EQ(Safe("one\ntwo"), "one\n  two");
}

TEST(LineFormatTest, LineHasTimeLevelSenderLocationAndMessage) {
  LogRecord record;
  record.set_created(1763920000.25);
  record.set_levelno(30);
  record.set_job("align/3");
  record.set_hostname("node7");
  record.set_process(4242);
  record.set_filename("demo_job.cc");
  record.set_lineno(42);
  record.set_exc_text("Traceback:\n  frame");
  LineFormatOptions options;
  options.time_zone = absl::UTCTimeZone();
  std::string line;
  AppendRecordLine(record, "first\nsecond", options, &line);
  EXPECT_EQ(line,
            "17:46:40.250 WARNING  [align/3 node7 pid 4242] demo_job.cc:42: first\n"
            "    | second\n"
            "    | Traceback:\n"
            "    |   frame\n");
}

TEST(LineFormatTest, SenderAddressStandsInForAMissingHostName) {
  LogRecord record;
  record.set_process_name("MainProcess");
  record.set_process(7);
  LineFormatOptions options;
  std::string line;
  AppendRecordLine(record, "m", options, &line, "[::1]:5000");
  EXPECT_THAT(line, HasSubstr(" [MainProcess ::1 pid 7] m"));
  line.clear();
  AppendRecordLine(record, "m", options, &line, "local");
  EXPECT_THAT(line, HasSubstr(" [MainProcess ? pid 7] m"));
}

TEST(LineFormatTest, ColourOnlyWhenAsked) {
  LogRecord record;
  record.set_levelno(40);
  LineFormatOptions options;
  std::string plain;
  AppendRecordLine(record, "m", options, &plain);
  EXPECT_EQ(plain.find('\x1b'), std::string::npos);
  options.color = true;
  std::string colored;
  AppendRecordLine(record, "m", options, &colored);
  EXPECT_THAT(colored, HasSubstr("\x1b[31mERROR"));
}

TEST(LineFormatTest, Iso8601TimesCarryTheDateAndTheZone) {
  LogRecord record;
  record.set_created(1763920000.25);  // 2025-11-23 17:46:40.25 UTC
  record.set_levelno(20);
  LineFormatOptions options;
  options.time = LineFormatOptions::Time::kIso8601Utc;
  options.time_zone = absl::FixedTimeZone(90 * 60);  // ignored for UTC
  std::string line;
  AppendRecordLine(record, "m", options, &line);
  EXPECT_THAT(line, ::testing::StartsWith("2025-11-23T17:46:40.250Z INFO "));
  // The same record in ISO 8601 in the zone one and a half hours east, and
  // as a time of day: the cached text follows the style.
  options.time = LineFormatOptions::Time::kIso8601;
  line.clear();
  AppendRecordLine(record, "m", options, &line);
  EXPECT_THAT(line, ::testing::StartsWith("2025-11-23T19:16:40.250+01:30 INFO "));
  options.time = LineFormatOptions::Time::kTimeOfDay;
  line.clear();
  AppendRecordLine(record, "m", options, &line);
  EXPECT_THAT(line, ::testing::StartsWith("19:16:40.250 INFO "));
}

TEST(LineFormatTest, ALoggerNameOtherThanTheDefaultIsShown) {
  LogRecord record;
  record.set_job("nightly");
  record.set_hostname("node1");
  record.set_process(9);
  record.set_name("toil-rt");
  std::string line;
  AppendRecordLine(record, "m", LineFormatOptions(), &line);
  EXPECT_THAT(line, HasSubstr(" [nightly node1 pid 9] m"));
  record.set_name("backup.sh");
  line.clear();
  AppendRecordLine(record, "m", LineFormatOptions(), &line);
  EXPECT_THAT(line, HasSubstr(" [nightly node1 pid 9 backup.sh] m"));
  record.set_name("evil\x1b[2J");
  line.clear();
  AppendRecordLine(record, "m", LineFormatOptions(), &line, "", /*unsigned_mark=*/true);
  EXPECT_THAT(line, HasSubstr(" [nightly node1 pid 9 unsigned evil\\x1b[2J] m"));
}

}  // namespace
}  // namespace toil::rtlog::internal
