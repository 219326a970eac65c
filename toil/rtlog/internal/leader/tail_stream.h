// TailStream: one viewer's stream of a RecordRing (the control plane's
// Tail): the records that match the viewer's filter, gathered into messages
// of about `batch_bytes`, at most one message per `interval` while records
// trickle in, each handed to a writer.
//
// A viewer that keeps up misses nothing, however fast records come: every
// record that arrived while a message waited its turn goes into it (or, past
// `batch_bytes`, into the messages right after it), and a stream waiting for
// its turn wakes early when the ring is half-way to overwriting records the
// viewer has not had. A viewer that does not keep up is told, in its next
// message, how many records it missed.
//
//   TailStream stream(ring, filter, {.follow = true});
//   stream.Run([&](const RecordRing::Batch& batch) { return Send(batch); },
//              [&] { return cancelled(); });
#ifndef TOIL_RTLOG_INTERNAL_LEADER_TAIL_STREAM_H_
#define TOIL_RTLOG_INTERNAL_LEADER_TAIL_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <functional>

#include "absl/time/time.h"
#include "toil/rtlog/internal/leader/record_ring.h"

namespace toil::rtlog::internal {

class TailStream {
 public:
  // The stream's clock, and how it waits for records; tests give it their
  // own, in which records arrive at a rate they choose.
  class Clock {
   public:
    virtual ~Clock() = default;
    virtual absl::Time Now() = 0;
    // Until the ring has the record numbered `number`, or `deadline`.
    virtual void WaitForRecord(const RecordRing& ring, uint64_t number, absl::Time deadline) = 0;
  };
  // The real one: absl::Now() and the ring's own waiting.
  static Clock& RealClock();

  struct Options {
    // About how much text a message carries (it may exceed it by a record).
    size_t batch_bytes = 256 * 1024;
    // A message at most this often, unless it is full.
    absl::Duration interval = absl::Milliseconds(5);
    // Keep streaming new records; without it, stop at the ring's newest.
    bool follow = false;
    // First, up to this many of the kept records that match.
    uint32_t last = 0;
  };
  // Returns false when the viewer is gone. The stream empties the batch
  // after each call.
  using Writer = std::function<bool(RecordRing::Batch&)>;

  TailStream(const RecordRing& ring, RecordFilter filter, Options options,
             Clock& clock = RealClock());

  // Streams until the end (without follow), `stopped()`, or a failed write.
  void Run(const Writer& write, const std::function<bool()>& stopped);

 private:
  // Adds what the ring has from `cursor_` on, up to a full batch.
  void ReadAvailable(RecordRing::Batch* batch);
  bool Due(absl::Time last_write) { return clock_.Now() - last_write >= options_.interval; }

  const RecordRing& ring_;
  const RecordFilter filter_;
  const Options options_;
  Clock& clock_;
  uint64_t cursor_ = 0;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_INTERNAL_LEADER_TAIL_STREAM_H_
