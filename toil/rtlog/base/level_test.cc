// Tests of level names, numbers and parsing.
#include "toil/rtlog/base/level.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace toil::rtlog {
namespace {

using ::testing::HasSubstr;

TEST(LevelTest, EveryNameInAnyCase) {
  const std::pair<const char*, Level> cases[] = {
      {"TRACE", Level::kTrace},     {"debug", Level::kDebug},  {"Info", Level::kInfo},
      {"wArNiNg", Level::kWarning}, {"ERROR", Level::kError},  {"critical", Level::kCritical},
      {"OFF", Level::kCritical},    {"off", Level::kCritical}, {" info\n", Level::kInfo},
      {"WARN", Level::kWarning},
  };
  for (const auto& [text, level] : cases) {
    absl::StatusOr<Level> parsed = ParseLevel(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(*parsed, level) << text;
  }
}

TEST(LevelTest, GarbageIsAClearError) {
  for (const char* text : {"", "loud", "INFO2", "20", "in fo"}) {
    absl::StatusOr<Level> parsed = ParseLevel(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_THAT(std::string(parsed.status().message()),
                HasSubstr("expected one of TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL or OFF"));
  }
}

TEST(LevelTest, PythonNumbers) {
  EXPECT_EQ(LevelNumber(Level::kTrace), 5);
  EXPECT_EQ(LevelNumber(Level::kDebug), 10);
  EXPECT_EQ(LevelNumber(Level::kInfo), 20);
  EXPECT_EQ(LevelNumber(Level::kWarning), 30);
  EXPECT_EQ(LevelNumber(Level::kError), 40);
  EXPECT_EQ(LevelNumber(Level::kCritical), 50);
  EXPECT_EQ(LevelName(Level::kWarning), "WARNING");
}

TEST(LevelTest, NonStandardNumbersMapToTheNearestLevelBelow) {
  EXPECT_EQ(LevelFromNumber(25), Level::kInfo);
  EXPECT_EQ(LevelFromNumber(20), Level::kInfo);
  EXPECT_EQ(LevelFromNumber(19), Level::kDebug);
  EXPECT_EQ(LevelFromNumber(99), Level::kCritical);
  EXPECT_EQ(LevelFromNumber(0), Level::kTrace);
  EXPECT_EQ(LevelFromNumber(-7), Level::kTrace);
}

}  // namespace
}  // namespace toil::rtlog
