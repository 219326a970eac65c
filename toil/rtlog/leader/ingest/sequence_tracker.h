// Loss and duplicate detection per sending process, from the `stream` and
// `seq` fields C++ jobs put in every record (see proto/log_record.proto).
//
// For each stream the tracker keeps the highest sequence number seen and
// which of the kWindow numbers below it arrived. A number above the highest
// counts the ones skipped as lost (at once: UDP rarely reorders, and a late
// arrival inside the window takes its count back); a number seen before is a
// duplicate, and so is one older than the window (too late to tell a
// reordered record from a replayed one), and the caller drops it.
//
// A stream's first record starts it. If its number is at most kWindow, the
// numbers before it count as lost (the process's first records); a larger
// one means the tracker joined the stream midway (a leader restarted on the
// same port, or a stream forgotten and seen again), and nothing before it is
// counted. Loss in the very last records of a process cannot be seen:
// nothing follows them.
//
// A stream sent over a stream connection (stream_receiver.h) says more: the
// number its connection starts at (Expect; what an earlier leader already
// acknowledged is not counted lost), and the number of its last record when
// the process ends (End; what never came is counted lost then).
//
// Memory is bounded: at most kMaxStreams streams are tracked; when a new one
// would exceed that, the half seen least recently are forgotten (their
// counts stay in the totals). A forgotten stream is not open to replay: the
// tracker remembers its highest number (16 bytes, for up to kMaxRemembered
// streams), and when it is seen again only numbers above that are new. Once
// more streams were forgotten than it can remember, a stream it does not
// know that starts above kWindow can no longer be told from the replay of
// one it forgot: it is refused (kUnknown) rather than joined midway.
#ifndef TOIL_RTLOG_LEADER_INGEST_SEQUENCE_TRACKER_H_
#define TOIL_RTLOG_LEADER_INGEST_SEQUENCE_TRACKER_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace toil::rtlog::internal {

class SequenceTracker {
 public:
  static constexpr uint64_t kWindow = 1024;
  static constexpr size_t kMaxStreams = 16384;
  static constexpr size_t kMaxRemembered = 65536;

  struct Stream {
    std::string label;  // who: "job host pid N"
    uint64_t highest = 0;
    uint64_t lost = 0;        // net: skipped, less those that came late
    uint64_t duplicates = 0;  // dropped
    // For the caller's reports: what it has shown, and when.
    uint64_t reported_lost = 0;
    uint64_t reported_duplicates = 0;
    absl::Time last_report = absl::InfinitePast();
    uint64_t last_use = 0;
    bool streamed = false;                      // came over a stream connection
    bool ended = false;                         // its process said it ended (kEnd)
    std::array<uint64_t, kWindow / 64> seen{};  // bit (seq % kWindow)
  };

  // kUnknown: a stream never seen that starts midway, when that can be the
  // replay of a stream forgotten and no longer remembered; dropped, and
  // counted as a duplicate.
  enum class Verdict { kNew, kDuplicate, kUnknown };
  struct Taken {
    Verdict verdict;
    Stream* stream;     // valid until the next Take; null for kUnknown
    bool first_record;  // the stream is new: the caller names it (label)
  };

  // One record of `stream` numbered `seq` (>= 1).
  Taken Take(uint64_t stream, uint64_t seq);

  // Looks at every tracked stream (for reports).
  template <typename F>
  void ForEach(F f) {
    for (auto& [id, state] : streams_) f(state);
  }
  Stream* Find(uint64_t stream);
  // A stream connection's first record is numbered `next_seq`: a stream not
  // known yet starts just below it. Returns the stream (new: label empty).
  Stream* Expect(uint64_t stream, uint64_t next_seq);
  // The stream's process ended with record `last_seq`: the numbers after
  // the highest seen count as lost. Returns how many that was (0 when the
  // stream is not known).
  uint64_t End(uint64_t stream, uint64_t last_seq);

  uint64_t lost() const { return lost_; }
  uint64_t duplicates() const { return duplicates_; }
  size_t streams() const { return streams_.size(); }
  // Streams forgotten to bound memory.
  uint64_t forgotten() const { return forgotten_; }
  // Records refused as kUnknown.
  uint64_t unknown() const { return unknown_; }

 private:
  void ForgetOldest();
  // Makes room for one more stream and adds it (started as Start says).
  Stream& Add(uint64_t stream, Stream started);
  // Moves the window's top up to `seq` (> s.highest), counting the numbers
  // skipped as lost; `seq` itself is marked seen when `seen`.
  void Raise(Stream& s, uint64_t seq, bool seen);
  // A new stream's state: where it starts, from what is remembered of it.
  // False when it must be refused (kUnknown).
  bool Start(uint64_t stream, uint64_t seq, Stream* s);

  absl::flat_hash_map<uint64_t, Stream> streams_;
  uint64_t clock_ = 0;
  uint64_t lost_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t forgotten_ = 0;
  uint64_t unknown_ = 0;
  // Forgotten streams: the highest number each had.
  absl::flat_hash_map<uint64_t, uint64_t> remembered_;
  // Whether a stream was forgotten that is not in remembered_.
  bool memory_lost_ = false;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_INGEST_SEQUENCE_TRACKER_H_
