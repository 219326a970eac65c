// RecordRing: the leader's most recent records, kept for viewers that attach
// to it (the control plane's Tail): a sink that keeps the last N records as
// Tail entries (toil/rtlog/tail_entry.h: the bytes of one element of
// TailResponse.entries each), numbered, in bounded memory, and lets any
// number of readers follow at their own pace.
//
// Ingest never waits for a reader: a record is encoded once, when it arrives,
// and a reader that falls behind by more than the ring holds finds the
// records it missed overwritten, and is told how many.
//
// The entries are kept back to back in blocks that are never written over,
// and a reader's batch refers to them rather than copying them: the messages
// to every viewer share the one copy (a block lives while a ring slot or a
// message still needs it).
//
//   RecordRing ring({.records = 16384});
//   dispatcher sinks: {..., &ring}
//   RecordRing::Batch batch;
//   uint64_t cursor = ring.Oldest();
//   cursor = ring.Read(cursor, filter, 1 << 20, &batch);
//   ring.SetWaker([&] { wake the reader's thread });
//   if (!ring.WakeWhenKept(cursor)) { sleep until woken }
#ifndef TOIL_RTLOG_LEADER_CONTROL_RECORD_RING_H_
#define TOIL_RTLOG_LEADER_CONTROL_RECORD_RING_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace toil::rtlog::internal {

// Which records a reader wants.
struct RecordFilter {
  int min_levelno = std::numeric_limits<int>::min();  // the record's levelno, at least this
  std::string job_glob;                               // fnmatch glob on the job name ("" for any)
  std::string host;                                   // the host, exactly ("" for any)
  std::string logger;                    // the logger name, exactly ("stdout"; "" for any)
  std::shared_ptr<const re2::RE2> grep;  // searched in the message (null: any)

  bool MatchesAll() const {
    return min_levelno == std::numeric_limits<int>::min() && job_glob.empty() && host.empty() &&
           logger.empty() && grep == nullptr;
  }
};

class RecordRing : public LogSink {
 public:
  struct Options {
    size_t records = 16384;          // kept at most
    size_t bytes = 32 << 20;         // of text kept at most
    size_t block_bytes = 256 << 10;  // the entries are kept in blocks of this size
  };
  explicit RecordRing(Options options);
  explicit RecordRing() : RecordRing(Options{}) {}
  ~RecordRing() override;

  // Keeps the record, and wakes the reader waiting for it.
  void Send(const LogEntry& entry) override;

  // Numbers: the oldest record kept, and the one the next record will get.
  uint64_t Oldest() const;
  uint64_t Next() const;
  // Records kept at most.
  size_t Capacity() const { return slots_.size(); }

  // Entries, back to back, that are never written over.
  struct Block {
    explicit Block(size_t bytes) : data(new char[bytes]), capacity(bytes) {}
    std::unique_ptr<char[]> data;
    size_t capacity;
    size_t used = 0;  // only the ring's writer changes it, under the ring's lock
  };
  // Consecutive text in one block; `block` keeps it alive.
  struct Piece {
    std::shared_ptr<const Block> block;
    const char* data = nullptr;
    size_t size = 0;
  };
  struct Batch {
    std::vector<Piece> pieces;  // matching records' entries, in order
    size_t bytes = 0;           // in all pieces
    uint32_t records = 0;
    uint64_t missed = 0;  // overwritten before this reader got to them
    // The entries as one string (tests; anyone who needs a copy).
    std::string Bytes() const;
    void Clear();
  };
  // Appends to `batch` the records numbered `cursor` and on that match
  // `filter`, up to about `max_bytes` in the batch; returns the cursor to
  // read from next. Looks at a bounded stretch of records per call.
  uint64_t Read(uint64_t cursor, const RecordFilter& filter, size_t max_bytes, Batch* batch) const;
  // Where to start reading to get the last `n` kept records that match
  // `filter` (Next() for n == 0).
  uint64_t StartOfLast(uint32_t n, const RecordFilter& filter) const;

  // Who to wake: called, once per WakeWhenKept that returned false, from the
  // thread that keeps records (or that closes the ring), without the ring's
  // lock held. Set before any reader asks.
  void SetWaker(std::function<void()> wake);
  // Whether record `number` is kept already, or the ring is closed; if not,
  // the waker is called when it is kept (or the ring closes). An ask
  // replaces the one before it: the ring wakes one reader (the TailPump),
  // which asks for the least record any of its streams waits for.
  bool WakeWhenKept(uint64_t number) const;
  // No more records: wakes a waiting reader for good (the server stops).
  void Close();
  bool closed() const;

 private:
  struct Slot {
    int levelno = 0;
    std::shared_ptr<const Block> block;  // holds the entry
    const char* entry = nullptr;
    size_t entry_size = 0;
    std::string job;
    std::string host;
    std::string logger;
    std::string message;
    size_t bytes() const {
      return entry_size + job.size() + host.size() + logger.size() + message.size();
    }
  };
  bool Matches(const Slot& slot, const RecordFilter& filter) const;
  void EvictOldestLocked();
  // Copies the entry into the current block (a new one if it does not fit).
  void KeepEntryLocked(Slot* slot);

  const Options options_;
  std::vector<Slot> slots_;
  std::string scratch_;           // the entry being encoded (Send is never concurrent)
  std::shared_ptr<Block> block_;  // where entries go now
  mutable std::mutex mu_;
  uint64_t oldest_ = 1;
  uint64_t next_ = 1;
  // The least record number a reader waits for (none: the maximum).
  mutable uint64_t wanted_ = UINT64_MAX;
  size_t bytes_ = 0;
  bool closed_ = false;
  std::function<void()> wake_;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_CONTROL_RECORD_RING_H_
