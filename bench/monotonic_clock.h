// The one clock ingest_bench's processes (and its rsyslog reference) take
// their times from, so that times from different processes compare.
#ifndef BENCH_MONOTONIC_CLOCK_H_
#define BENCH_MONOTONIC_CLOCK_H_

#include <time.h>

#include <cstdint>

namespace toil::bench {

// CLOCK_MONOTONIC now, in nanoseconds.
inline int64_t MonotonicNanos() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

}  // namespace toil::bench

#endif  // BENCH_MONOTONIC_CLOCK_H_
