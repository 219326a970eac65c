// Waiting on a 32-bit word with Linux futexes, and a monotonic clock: what the
// job-side client uses to wake its sender thread and to wait for it. Both
// are plain system calls, so they are safe in signal handlers.
#ifndef TOIL_RTLOG_JOB_FUTEX_H_
#define TOIL_RTLOG_JOB_FUTEX_H_

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>

namespace toil::rtlog::internal {

inline long Futex(std::atomic<uint32_t>* word, int op, uint32_t value, const timespec* timeout) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, value, timeout, nullptr, 0);
}

// Wakes every thread waiting on `word`.
inline void FutexWakeAll(std::atomic<uint32_t>* word) {
  Futex(word, FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr);
}

// Waits while *word == expected, at most `nanos`.
inline void FutexWait(std::atomic<uint32_t>* word, uint32_t expected, int64_t nanos) {
  timespec timeout{static_cast<time_t>(nanos / 1000000000), static_cast<long>(nanos % 1000000000)};
  Futex(word, FUTEX_WAIT_PRIVATE, expected, &timeout);
}

inline int64_t MonotonicNanos() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_FUTEX_H_
