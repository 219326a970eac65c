// The RT_LOG statements as job code writes them, in a process whose level is
// WARNING (this test's environment) and with no leader: below the level
// neither the stream's arguments nor RT_LOG_IF's condition is evaluated; at
// the level each is evaluated once; and an RT_LOG under an `if` without
// braces binds as one statement, an `else` after it belonging to the `if`
// (built with -Werror=dangling-else: no warning for the job's code either).
#include <string>

#include "gtest/gtest.h"
#include "toil/rtlog/rt_log.h"

namespace {

// Counts its evaluations.
std::string Counted(int* count) {
  ++*count;
  return "counted";
}

TEST(RtLogMacroTest, BelowTheLevelNothingIsEvaluated) {
  int arguments = 0;
  int conditions = 0;
  RT_LOG(INFO) << Counted(&arguments);
  RT_LOG(DEBUG) << Counted(&arguments) << Counted(&arguments);
  RT_LOG_IF(INFO, !Counted(&conditions).empty()) << Counted(&arguments);
  EXPECT_EQ(arguments, 0);
  EXPECT_EQ(conditions, 0);
  EXPECT_FALSE(RT_LOG_IS_ON(INFO));
}

TEST(RtLogMacroTest, AtTheLevelEachIsEvaluatedOnce) {
  int arguments = 0;
  int conditions = 0;
  RT_LOG(WARNING) << Counted(&arguments) << " and " << Counted(&arguments);
  RT_LOG_IF(ERROR, !Counted(&conditions).empty()) << Counted(&arguments);
  RT_LOG_IF(ERROR, Counted(&conditions).empty()) << Counted(&arguments);
  EXPECT_EQ(arguments, 3);
  EXPECT_EQ(conditions, 2);
  EXPECT_TRUE(RT_LOG_IS_ON(WARNING));
}

TEST(RtLogMacroTest, AnElseAfterAnUnbracedIfBelongsToTheIf) {
  int logged = 0;
  int otherwise = 0;
  for (bool log : {true, false, true}) {
    if (log)
      RT_LOG(WARNING) << Counted(&logged);
    else
      ++otherwise;
  }
  if (RT_LOG_IS_ON(DEBUG)) RT_LOG(DEBUG) << Counted(&logged);
  EXPECT_EQ(logged, 2);
  EXPECT_EQ(otherwise, 1);
}

}  // namespace
