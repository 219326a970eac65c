// DescribeLogStats: the stream connections' part says what was refused and,
// apart, what its peer cut short.
#include "toil/rtlog/base/log_stats.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace toil::rtlog {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(LogStatsTest, ConnectionsCutShortAreNotCalledRefused) {
  LogStats stats;
  stats.stream_connections = 134;
  stats.stream_refused = 2;
  stats.stream_cut_short = 34;
  EXPECT_THAT(DescribeLogStats(stats),
              HasSubstr("134 stream connections (2 refused, 34 cut short)"));
  stats.stream_cut_short = 0;
  EXPECT_THAT(DescribeLogStats(stats), HasSubstr("134 stream connections (2 refused)"));
  EXPECT_THAT(DescribeLogStats(stats), Not(HasSubstr("cut short")));
}

}  // namespace
}  // namespace toil::rtlog
