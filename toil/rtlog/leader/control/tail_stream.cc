// One viewer's stream of the leader's recent records; see tail_stream.h.
#include "toil/rtlog/leader/control/tail_stream.h"

#include <utility>

namespace toil::rtlog::internal {

TailStream::TailStream(const RecordRing& ring, RecordFilter filter, Options options)
    : ring_(ring),
      filter_(std::move(filter)),
      options_(options),
      end_(ring.Next()),
      cursor_(ring.StartOfLast(options.last, filter_)),
      interval_(options.interval) {}

void TailStream::ReadAvailable() {
  // Each Read looks at a bounded stretch (the ring's lock is held briefly):
  // read on until it brings nothing more.
  for (uint64_t before = 0; before != cursor_ && batch_.bytes < options_.batch_bytes;) {
    before = cursor_;
    cursor_ = ring_.Read(cursor_, filter_, options_.batch_bytes, &batch_);
  }
}

TailStream::Step TailStream::Next(absl::Time now) {
  ReadAvailable();
  const bool some = batch_.records > 0 || batch_.missed > 0;
  const bool closed = ring_.closed();
  const bool full = batch_.bytes >= options_.batch_bytes || !options_.follow || closed;
  if (some && (full || now - last_write_ >= interval_)) return {Step::kWrite};
  if (closed || (!options_.follow && cursor_ >= end_)) return {Step::kEnd};
  if (some) {
    // Records wait for their message's turn, rather than each wake the
    // stream as it arrives; but not so long that the ring overwrites them.
    return {Step::kWait, last_write_ + interval_, cursor_ + ring_.Capacity() / 2};
  }
  return {Step::kWait, absl::InfiniteFuture(), cursor_};
}

void TailStream::Written(absl::Time now) {
  interval_ = batch_.bytes >= options_.busy_bytes ? options_.busy_interval : options_.interval;
  batch_.Clear();
  last_write_ = now;
}

}  // namespace toil::rtlog::internal
