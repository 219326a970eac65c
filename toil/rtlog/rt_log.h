// RT_LOG: real-time logging from a job to the workflow leader's terminal.
//
//   #include "toil/rtlog/rt_log.h"
//
//   RT_LOG(INFO) << "aligned " << n << " reads";
//   RT_LOG_IF(WARNING, retries > 3) << "retrying " << path;
//
// Levels: TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL. Nothing to configure:
// the leader's batch system hands every job TOIL_RT_LOGGING_ADDRESS and
// TOIL_RT_LOGGING_LEVEL. A statement below the level costs one well-predicted
// branch and evaluates none of its stream arguments (nor the RT_LOG_IF
// condition). Each record goes to the job's own stderr and, as one UDP
// datagram, to the leader. Logging never throws, never aborts the job, and
// never waits for an absent leader.
#ifndef TOIL_RTLOG_RT_LOG_H_
#define TOIL_RTLOG_RT_LOG_H_

#include "toil/rtlog/base/level.h"
#include "toil/rtlog/job/level_gate.h"
#include "toil/rtlog/job/log_message.h"

namespace toil::rtlog::internal {
inline constexpr Level kRtLogLevel_TRACE = Level::kTrace;
inline constexpr Level kRtLogLevel_DEBUG = Level::kDebug;
inline constexpr Level kRtLogLevel_INFO = Level::kInfo;
inline constexpr Level kRtLogLevel_WARNING = Level::kWarning;
inline constexpr Level kRtLogLevel_ERROR = Level::kError;
inline constexpr Level kRtLogLevel_CRITICAL = Level::kCritical;
}  // namespace toil::rtlog::internal

// True when a record at LEVEL would be logged (configures the client on
// first use). For guarding work done only to build a message.
#define RT_LOG_IS_ON(severity) \
  (::toil::rtlog::internal::ShouldLog(::toil::rtlog::internal::kRtLogLevel_##severity))

#define RT_LOG(severity) RT_LOG_IF(severity, true)

// An expression, not an if/else: an `if` around it without braces draws no
// dangling-else warning. The switch makes it one statement that a
// surrounding if/else cannot capture; the branch not taken keeps the stream
// expression unevaluated; Voidify's `&` binds after every `<<`.
#define RT_LOG_IF(severity, condition)                                                             \
  switch (0)                                                                                       \
  case 0:                                                                                          \
  default:                                                                                         \
    !(RT_LOG_IS_ON(severity) && (condition))                                                       \
        ? (void)0                                                                                  \
        : ::toil::rtlog::internal::Voidify() &                                                     \
              ::toil::rtlog::internal::LogMessage(__FILE__, __LINE__, __func__,                    \
                                                  ::toil::rtlog::internal::kRtLogLevel_##severity) \
                  .stream()

#endif  // TOIL_RTLOG_RT_LOG_H_
