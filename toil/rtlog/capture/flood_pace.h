// FloodPace: when the thread that delivers captured lines should rest, so
// that a job flooding its output does not take a core from the jobs.
//
// It watches the thread's work at full speed a millisecond (kWindow) at a
// time: when, within one, kFloodRatio times more lines were dropped for want
// of room than it delivered, no speed of its own would show the flood, and
// it rests kRest after each kWindow of work for kRestingSpan (a fifth of a
// core), then works a window at full speed again to see whether the flood
// goes on. A load it keeps up with at full speed, however heavy, never makes
// it rest, and resting cannot keep it behind such a load: only what it sees
// at full speed starts a rest. Lines are looked at in steps of kCheckLines,
// so that the clock is read rarely.
//
//   FloodPace pace(&dropped);  // the count of lines dropped, kept elsewhere
//   for each line: deliver it; pace.Delivered();   // may sleep
//   before waiting for more lines: pace.Idle();
#ifndef TOIL_RTLOG_CAPTURE_FLOOD_PACE_H_
#define TOIL_RTLOG_CAPTURE_FLOOD_PACE_H_

#include <atomic>
#include <cstdint>
#include <functional>

#include "absl/time/time.h"

namespace toil::rtlog::capture {

class FloodPace {
 public:
  static constexpr uint64_t kCheckLines = 64;
  static constexpr uint64_t kFloodRatio = 4;
  static constexpr absl::Duration kWindow = absl::Milliseconds(1);
  static constexpr absl::Duration kRest = absl::Milliseconds(4);
  static constexpr absl::Duration kRestingSpan = absl::Milliseconds(20);

  // The clock it reads and how it sleeps (a test's own; by default the
  // real ones).
  struct Clock {
    std::function<absl::Time()> now;
    std::function<void(absl::Duration)> sleep;
  };
  static Clock RealClock();

  // `dropped`: the lines dropped so far, in all (not owned).
  explicit FloodPace(const std::atomic<uint64_t>* dropped, Clock clock = RealClock());

  // After each line delivered: may sleep.
  void Delivered();
  // The thread is about to wait for lines: whatever flood there was, it
  // caught up with it.
  void Idle();
  // No rests from now on (the delivering thread is asked to finish).
  void Stop() { stopping_.store(true, std::memory_order_relaxed); }
  // Rests taken, in all.
  uint64_t rests() const { return rests_.load(std::memory_order_relaxed); }

 private:
  void StartWindow(absl::Time now);
  void Rest();

  const std::atomic<uint64_t>* const dropped_;
  const Clock clock_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> rests_{0};
  uint64_t lines_ = 0;  // delivered, in all
  bool resting_ = false;
  absl::Time resting_until_;
  // At full speed: the window under way (InfinitePast: none yet).
  absl::Time window_start_ = absl::InfinitePast();
  uint64_t window_lines_ = 0;    // lines_ when it began
  uint64_t window_dropped_ = 0;  // *dropped_ when it began
  // Resting: the stretch of work under way began.
  absl::Time work_start_;
};

}  // namespace toil::rtlog::capture

#endif  // TOIL_RTLOG_CAPTURE_FLOOD_PACE_H_
