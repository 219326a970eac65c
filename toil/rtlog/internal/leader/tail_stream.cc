// One viewer's stream of the leader's recent records; see tail_stream.h.
#include "toil/rtlog/internal/leader/tail_stream.h"

#include <string>
#include <utility>

namespace toil::rtlog::internal {
namespace {

// A stream with no records to send waits at most this long before looking
// whether it should stop.
constexpr absl::Duration kIdleWait = absl::Milliseconds(250);

class Real final : public TailStream::Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  void WaitForRecord(const RecordRing& ring, uint64_t number, absl::Time deadline) override {
    ring.WaitForMore(number, deadline);
  }
};

// Empties `batch` for the next message, keeping its buffer (no allocation
// per message) unless a huge record grew it: a hundred viewers must not
// each keep that.
void Clear(size_t batch_bytes, RecordRing::Batch* batch) {
  batch->jsonl.clear();
  if (batch->jsonl.capacity() > 2 * batch_bytes) {
    std::string().swap(batch->jsonl);
    batch->jsonl.reserve(2 * batch_bytes);
  }
  batch->records = 0;
  batch->missed = 0;
}

}  // namespace

TailStream::Clock& TailStream::RealClock() {
  static Real* clock = new Real;
  return *clock;
}

TailStream::TailStream(const RecordRing& ring, RecordFilter filter, Options options, Clock& clock)
    : ring_(ring), filter_(std::move(filter)), options_(options), clock_(clock) {}

void TailStream::ReadAvailable(RecordRing::Batch* batch) {
  // Each Read looks at a bounded stretch (the ring's lock is held briefly):
  // read on until it brings nothing more.
  for (uint64_t before = 0; before != cursor_ && batch->jsonl.size() < options_.batch_bytes;) {
    before = cursor_;
    cursor_ = ring_.Read(cursor_, filter_, options_.batch_bytes, batch);
  }
}

void TailStream::Run(const Writer& write, const std::function<bool()>& stopped) {
  const uint64_t end = ring_.Next();  // without follow: up to here
  cursor_ = ring_.StartOfLast(options_.last, filter_);
  absl::Time last_write = absl::InfinitePast();
  RecordRing::Batch batch;
  // A read stops past batch_bytes by at most one record.
  batch.jsonl.reserve(2 * options_.batch_bytes);
  while (!stopped()) {
    ReadAvailable(&batch);
    const bool some = batch.records > 0 || batch.missed > 0;
    const bool full = batch.jsonl.size() >= options_.batch_bytes || !options_.follow;
    if (some && (full || Due(last_write))) {
      if (!write(batch)) return;  // the viewer went away
      Clear(options_.batch_bytes, &batch);
      last_write = clock_.Now();
      continue;
    }
    if (!options_.follow && cursor_ >= end) return;
    if (some) {
      // Records wait for their message's turn, rather than each wake the
      // stream as it arrives; but not so long that the ring overwrites them.
      clock_.WaitForRecord(ring_, cursor_ + ring_.Capacity() / 2, last_write + options_.interval);
    } else {
      clock_.WaitForRecord(ring_, cursor_, clock_.Now() + kIdleWait);
    }
  }
}

}  // namespace toil::rtlog::internal
