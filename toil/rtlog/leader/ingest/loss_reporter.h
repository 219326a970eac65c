// LossReporter: the leader's warnings about records lost in transit or
// dropped as duplicates, per sending process (a SequenceTracker stream):
//
//   toil-rtlog: warning: 3 records from align-2 node1 pid 42 lost in transit
//       (7 in all; the sequence numbers have gaps)
//
// Each stream is reported at most once a second. However many streams lose
// records, at most kLinesPerSecond such lines are written a second; what the
// rest lost is summed up in one line a second ("... from 39,990 more sending
// processes"), so that a flood of senders (or of forged streams) cannot
// flood the leader's stderr.
#ifndef TOIL_RTLOG_LEADER_INGEST_LOSS_REPORTER_H_
#define TOIL_RTLOG_LEADER_INGEST_LOSS_REPORTER_H_

#include <cstdint>
#include <functional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "toil/rtlog/leader/ingest/sequence_tracker.h"

namespace toil::rtlog::internal {

class LossReporter {
 public:
  static constexpr int kLinesPerSecond = 20;

  // `diagnostics` takes one line per call.
  explicit LossReporter(std::function<void(absl::string_view)> diagnostics)
      : diagnostics_(std::move(diagnostics)) {}

  // Says what `stream` lost or had duplicated since it was last reported:
  // not within a second of that (unless `force`), and summed up with
  // others' once this second's lines are used up.
  void Report(SequenceTracker::Stream& stream, absl::Time now, bool force);
  // Says what was summed up, once a second (at once with `force`).
  void Flush(absl::Time now, bool force);

 private:
  // Whether a line about one stream may still be written this second.
  bool TakeLine(absl::Time now);

  std::function<void(absl::string_view)> diagnostics_;
  absl::Time second_ = absl::InfinitePast();
  int lines_ = 0;
  // Held back, to be summed up.
  uint64_t held_lost_ = 0;
  uint64_t held_duplicates_ = 0;
  uint64_t held_streams_ = 0;
  absl::Time last_summary_ = absl::InfinitePast();
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_INGEST_LOSS_REPORTER_H_
