// RecordRing: the leader's most recent records, kept for viewers that attach
// to it (the control plane's Tail): a sink that keeps the last N records as
// JSON lines (the JSON-lines sink's format), each numbered, in bounded
// memory, and lets any number of readers follow at their own pace.
//
// Ingest never waits for a reader: a record is encoded once, when it arrives,
// and a reader that falls behind by more than the ring holds finds the
// records it missed overwritten, and is told how many.
//
//   RecordRing ring({.records = 16384});
//   dispatcher sinks: {..., &ring}
//   RecordRing::Batch batch;
//   uint64_t cursor = ring.Oldest();
//   ring.WaitForMore(cursor, deadline);
//   cursor = ring.Read(cursor, filter, 256 * 1024, &batch);
#ifndef TOIL_RTLOG_INTERNAL_LEADER_RECORD_RING_H_
#define TOIL_RTLOG_INTERNAL_LEADER_RECORD_RING_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "toil/rtlog/log_sink.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace toil::rtlog::internal {

// Which records a reader wants.
struct RecordFilter {
  int min_levelno = 0;   // the record's levelno, at least this
  std::string job_glob;  // fnmatch glob on the job name ("" for any)
  std::string host;      // the host, exactly ("" for any)
  std::shared_ptr<const re2::RE2> grep;  // searched in the message (null: any)
};

class RecordRing : public LogSink {
 public:
  struct Options {
    size_t records = 16384;         // kept at most
    size_t bytes = 32 << 20;        // of text kept at most
  };
  explicit RecordRing(Options options);
  explicit RecordRing() : RecordRing(Options{}) {}
  ~RecordRing() override;

  // Keeps the record, and wakes the readers waiting for it.
  void Send(const LogEntry& entry) override;

  // Numbers: the oldest record kept, and the one the next record will get.
  uint64_t Oldest() const;
  uint64_t Next() const;
  // Records kept at most.
  size_t Capacity() const { return slots_.size(); }

  struct Batch {
    std::string jsonl;   // matching records, one JSON line each
    uint32_t records = 0;
    uint64_t missed = 0;  // overwritten before this reader got to them
  };
  // Appends to `batch` the records numbered `cursor` and on that match
  // `filter`, up to about `max_bytes`; returns the cursor to read from next.
  uint64_t Read(uint64_t cursor, const RecordFilter& filter, size_t max_bytes,
                Batch* batch) const;
  // Where to start reading to get the last `n` kept records that match
  // `filter` (Next() for n == 0).
  uint64_t StartOfLast(uint32_t n, const RecordFilter& filter) const;
  // Waits until a record numbered `cursor` or later exists, the ring is
  // closed, or `deadline` passes; returns whether there is one. A waiter is
  // woken when the record it waits for is kept, not by every record.
  bool WaitForMore(uint64_t cursor, absl::Time deadline) const;
  // Readers in WaitForMore now (tests wait for a reader to wait).
  int waiting() const;
  // Wakes every waiting reader for good (the server stops).
  void Close();

 private:
  struct Slot {
    int levelno = 0;
    std::string jsonl;
    std::string job;
    std::string host;
    std::string message;
    size_t bytes() const { return jsonl.size() + job.size() + host.size() + message.size(); }
  };
  bool Matches(const Slot& slot, const RecordFilter& filter) const;
  void EvictOldestLocked();

  const Options options_;
  std::vector<Slot> slots_;
  std::string scratch_;  // the line being encoded (Send is never concurrent)
  mutable std::mutex mu_;
  mutable std::condition_variable more_;
  uint64_t oldest_ = 1;
  uint64_t next_ = 1;
  // The least record number a waiter waits for (none: the maximum).
  mutable uint64_t wanted_ = UINT64_MAX;
  mutable int waiting_ = 0;
  size_t bytes_ = 0;
  bool closed_ = false;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_INTERNAL_LEADER_RECORD_RING_H_
