// FloodPace on a clock of the test's own: no rest under a load taken at
// full speed, however heavy; under a flood, rests of kRest after each
// kWindow of work, then a window at full speed that ends them once the
// flood is over; none after Idle() or Stop().
#include "toil/rtlog/capture/flood_pace.h"

#include <atomic>
#include <cstdint>

#include "gtest/gtest.h"

namespace toil::rtlog::capture {
namespace {

// A clock that moves only when told, and a sleep that moves it.
struct TestClock {
  absl::Time now = absl::FromUnixSeconds(1000);
  absl::Duration slept;
  FloodPace::Clock clock() {
    return {[this] { return now; },
            [this](absl::Duration duration) {
              now += duration;
              slept += duration;
            }};
  }
};

// Delivers `lines` lines of 1 us each while `dropped_per_line` are dropped
// for each.
void Deliver(FloodPace& pace, TestClock& clock, std::atomic<uint64_t>& dropped, int lines,
             uint64_t dropped_per_line) {
  for (int i = 0; i < lines; ++i) {
    clock.now += absl::Microseconds(1);
    dropped += dropped_per_line;
    pace.Delivered();
  }
}

TEST(FloodPaceTest, ALoadTakenAtFullSpeedNeverRests) {
  TestClock clock;
  std::atomic<uint64_t> dropped{0};
  FloodPace pace(&dropped, clock.clock());
  Deliver(pace, clock, dropped, 100000, 0);
  // Some lines dropped, but fewer than kFloodRatio for each delivered.
  Deliver(pace, clock, dropped, 100000, FloodPace::kFloodRatio - 1);
  EXPECT_EQ(pace.rests(), 0u);
}

TEST(FloodPaceTest, AFloodMakesItRestUntilItIsOver) {
  TestClock clock;
  std::atomic<uint64_t> dropped{0};
  FloodPace pace(&dropped, clock.clock());
  Deliver(pace, clock, dropped, 2000, 10 * FloodPace::kFloodRatio);
  EXPECT_GE(pace.rests(), 1u);  // after its first window
  // While the flood lasts, about four fifths of the time is rest.
  const absl::Time start = clock.now;
  const absl::Duration slept_before = clock.slept;
  Deliver(pace, clock, dropped, 100000, 10 * FloodPace::kFloodRatio);
  const double rested = absl::FDivDuration(clock.slept - slept_before, clock.now - start);
  EXPECT_GT(rested, 0.6);
  EXPECT_LT(rested, 0.85);
  // Once it is over, the next window at full speed ends the rests.
  Deliver(pace, clock, dropped, 30000, 0);
  const uint64_t rests = pace.rests();
  Deliver(pace, clock, dropped, 100000, 0);
  EXPECT_EQ(pace.rests(), rests);
}

TEST(FloodPaceTest, IdleEndsTheRestsAndStopPreventsThem) {
  TestClock clock;
  std::atomic<uint64_t> dropped{0};
  FloodPace pace(&dropped, clock.clock());
  Deliver(pace, clock, dropped, 2000, 100);
  ASSERT_GE(pace.rests(), 1u);
  pace.Idle();  // it caught up: what follows is taken at full speed
  uint64_t rests = pace.rests();
  Deliver(pace, clock, dropped, 900, 0);
  EXPECT_EQ(pace.rests(), rests);
  pace.Stop();
  rests = pace.rests();
  Deliver(pace, clock, dropped, 100000, 100);
  EXPECT_EQ(pace.rests(), rests);
}

}  // namespace
}  // namespace toil::rtlog::capture
