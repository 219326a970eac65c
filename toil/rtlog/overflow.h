// What a log call does when the job's queue is full (it holds about 1 MiB
// of records, and fills when a job logs faster than its records can be
// written and sent):
//
//   drop (the default)  the record is written to the job's stderr at once,
//                       by the calling thread, and counted as not sent; the
//                       leader is told the count
//   wait                the call waits for room, up to a bound, and then
//                       drops as above
//
// TOIL_RT_LOGGING_OVERFLOW chooses for a process ("drop", "wait": up to 5 s,
// "wait:30s"); a program may choose in code, which takes precedence:
//
//   toil::rtlog::SetOverflowWait(absl::Seconds(30));      // wait, 30 s at most
//   toil::rtlog::SetOverflowWait(absl::InfiniteDuration());  // never drop
//   toil::rtlog::SetOverflowWait(absl::ZeroDuration());   // drop
//
// Waiting never lasts forever even unbounded: a leader that stops
// acknowledging is given up after 10 s, and records then go to stderr and
// are counted (docs/guarantees.md).
#ifndef TOIL_RTLOG_OVERFLOW_H_
#define TOIL_RTLOG_OVERFLOW_H_

#include "absl/time/time.h"

namespace toil::rtlog {

// How long a log call may wait for room in a full queue; zero: it does not.
void SetOverflowWait(absl::Duration most);

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_OVERFLOW_H_
