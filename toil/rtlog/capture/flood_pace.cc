// When the delivering thread rests under a flood; see flood_pace.h.
#include "toil/rtlog/capture/flood_pace.h"

#include <utility>

#include "absl/time/clock.h"

namespace toil::rtlog::capture {

FloodPace::Clock FloodPace::RealClock() {
  return {[] { return absl::Now(); }, [](absl::Duration duration) { absl::SleepFor(duration); }};
}

FloodPace::FloodPace(const std::atomic<uint64_t>* dropped, Clock clock)
    : dropped_(dropped), clock_(std::move(clock)) {}

void FloodPace::Delivered() {
  if (++lines_ % kCheckLines != 0 || stopping_.load(std::memory_order_relaxed)) return;
  const absl::Time now = clock_.now();
  if (resting_) {
    if (now >= resting_until_) {
      resting_ = false;  // a window at full speed tells whether it goes on
      StartWindow(now);
    } else if (now - work_start_ >= kWindow) {
      Rest();
    }
    return;
  }
  if (window_start_ == absl::InfinitePast()) {
    StartWindow(now);
    return;
  }
  if (now - window_start_ < kWindow) return;
  const uint64_t dropped = dropped_->load(std::memory_order_relaxed) - window_dropped_;
  const uint64_t delivered = lines_ - window_lines_;
  if (dropped >= kFloodRatio * delivered) {
    resting_ = true;
    resting_until_ = now + kRestingSpan;
    Rest();
    return;
  }
  StartWindow(now);
}

void FloodPace::Idle() {
  resting_ = false;
  window_start_ = absl::InfinitePast();
}

void FloodPace::StartWindow(absl::Time now) {
  window_start_ = now;
  window_lines_ = lines_;
  window_dropped_ = dropped_->load(std::memory_order_relaxed);
}

void FloodPace::Rest() {
  rests_.fetch_add(1, std::memory_order_relaxed);
  clock_.sleep(kRest);
  work_start_ = clock_.now();
}

}  // namespace toil::rtlog::capture
