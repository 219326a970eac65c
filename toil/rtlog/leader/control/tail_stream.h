// TailStream: one viewer's stream of a RecordRing (the control plane's
// Tail), as decisions: the records that match the viewer's filter, gathered
// into messages of about `batch_bytes`, and when each message should go.
// It never waits itself; whoever drives it (the TailPump, or a test with a
// clock of its own) waits for what Next() says.
//
// A message goes when it is full, or when its interval has passed since the
// last one: `interval` while records trickle in, so that a viewer sees them
// within a few milliseconds, and `busy_interval` once a message carried
// `busy_bytes` or more, so that a busy leader sends each viewer fewer,
// larger messages (a message costs the leader far more than the bytes in
// it). Back to `interval` once a message carries less.
//
// A viewer that keeps up misses nothing, however fast records come: every
// record that arrived while a message waited its turn goes into it (or, past
// `batch_bytes`, into the messages right after it), and a stream waiting for
// its turn asks to be woken when the ring is half-way to overwriting records
// the viewer has not had. A viewer that does not keep up is told, in its
// next message, how many records it missed.
//
//   TailStream stream(ring, filter, {.follow = true});
//   for (;;) {
//     TailStream::Step step = stream.Next(absl::Now());
//     if (step.kind == TailStream::Step::kEnd) break;
//     if (step.kind == TailStream::Step::kWrite) {
//       Send(stream.batch());
//       stream.Written(absl::Now());
//     } else {
//       wait until step.until, or until the ring keeps record step.record
//     }
//   }
#ifndef TOIL_RTLOG_LEADER_CONTROL_TAIL_STREAM_H_
#define TOIL_RTLOG_LEADER_CONTROL_TAIL_STREAM_H_

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"
#include "toil/rtlog/leader/control/record_ring.h"

namespace toil::rtlog::internal {

class TailStream {
 public:
  struct Options {
    // About how much text a message carries (it may exceed it by a record).
    size_t batch_bytes = 1 << 20;
    // A message at most this often while records trickle in, unless full.
    absl::Duration interval = absl::Milliseconds(5);
    // ... and this often once a message carried at least `busy_bytes`.
    absl::Duration busy_interval = absl::Milliseconds(25);
    size_t busy_bytes = 16 << 10;
    // Keep streaming new records; without it, stop at the ring's newest.
    bool follow = false;
    // First, up to this many of the kept records that match.
    uint32_t last = 0;
  };

  // What to do next.
  struct Step {
    enum Kind {
      kWrite,  // send batch(), then call Written()
      kWait,   // until `until`, or until the ring keeps record `record`
      kEnd,    // the stream is complete (without follow, or the ring closed)
    };
    Kind kind = kWait;
    absl::Time until = absl::InfiniteFuture();
    uint64_t record = 0;
  };

  TailStream(const RecordRing& ring, RecordFilter filter, Options options);

  Step Next(absl::Time now);
  // The message Next() said to write.
  const RecordRing::Batch& batch() const { return batch_; }
  // The message was handed on at `now`: the stream starts the next one.
  void Written(absl::Time now);

 private:
  // Adds what the ring has from `cursor_` on, up to a full batch.
  void ReadAvailable();

  const RecordRing& ring_;
  const RecordFilter filter_;
  const Options options_;
  const uint64_t end_;  // without follow: up to here
  uint64_t cursor_;
  RecordRing::Batch batch_;
  absl::Time last_write_ = absl::InfinitePast();
  absl::Duration interval_;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_CONTROL_TAIL_STREAM_H_
