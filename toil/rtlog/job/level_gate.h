// The level gate RT_LOG checks before it evaluates anything: one load, one
// compare and one well-predicted branch below the level. The first check of
// each process configures the job's client from the environment.
#ifndef TOIL_RTLOG_JOB_LEVEL_GATE_H_
#define TOIL_RTLOG_JOB_LEVEL_GATE_H_

#include <atomic>

#include "toil/rtlog/base/level.h"

namespace toil::rtlog::internal {

// The lowest level that is logged. 0 until the client is configured, so
// that the first check of each level goes through ShouldLogSlow.
extern std::atomic<int> g_threshold;

// Configures the client if needed; then whether `level` passes.
bool ShouldLogSlow(Level level);

inline bool ShouldLog(Level level) {
  return LevelNumber(level) >= g_threshold.load(std::memory_order_relaxed) && ShouldLogSlow(level);
}

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_LEVEL_GATE_H_
