// RecordQueue: the bounded queue between log calls, on any thread, and the
// job's sender thread. One byte ring, allocated once, holds each record's
// fields (QueuedRecord) followed by its text. A log call copies its record
// in and returns. A full queue drops the record and counts it, or, when the
// caller says it may wait, waits up to that long for the sender to make room
// (then drops and counts it). The sender takes every record queued at once (a Batch), handles
// them outside the lock, and then releases them.
//
// Waking and waiting go through two futex words, so that a signal handler
// may wait for the queue to drain: the sender sleeps on the first until a
// log call bumps it, and bumps the second after each batch.
//
//   RecordQueue queue;             // Allocate() before the first Push
//   uint64_t seq = queue.Push(fields, text);       // any thread
//   RecordQueue::Batch batch = queue.Take(false);  // the sender
//   queue.ForEach(batch, [](const QueuedRecord& r, absl::string_view text) {...});
//   queue.Release(batch);
#ifndef TOIL_RTLOG_JOB_RECORD_QUEUE_H_
#define TOIL_RTLOG_JOB_RECORD_QUEUE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/job/futex.h"

namespace toil::rtlog::internal {

// One queued record's fields; its text follows it in the ring.
struct QueuedRecord {
  uint32_t bytes = 0;  // of the record with its text, rounded up; 0 marks a wrap
  Level level = Level::kInfo;
  int line = 0;
  uint32_t text_size = 0;
  uint32_t original_size = 0;  // before it was cut to kMaxText
  const char* file = "";       // these two outlive the process (literals)
  const char* function = "";
  int64_t time_ns = 0;  // since the Unix epoch
  uint64_t thread_id = 0;
  const std::string* thread_name = nullptr;  // interned
  const std::string* logger_name = nullptr;  // interned; null for "toil-rt"
};

class RecordQueue {
 public:
  // The ring: about 8,000 short records.
  static constexpr size_t kBytes = 1 << 20;
  // Longer texts are cut to this when queued (a datagram holds no more).
  static constexpr size_t kMaxText = 64 * 1024;
  // A log call wakes a polling sender once this many records wait.
  static constexpr size_t kWakeBatch = 256;

  struct Batch {
    size_t start = 0;
    size_t count = 0;
  };

  RecordQueue() = default;
  ~RecordQueue() { delete[] ring_; }
  RecordQueue(const RecordQueue&) = delete;
  RecordQueue& operator=(const RecordQueue&) = delete;

  // Makes the ring (idempotent).
  void Allocate();

  // Copies the record in (its text cut to kMaxText at a UTF-8 boundary;
  // `fields.text_size`, `original_size` and `bytes` are set here). Returns its
  // number, 1, 2, ... in the order queued; 0 when the ring was full for
  // longer than `wait` (the record is counted in dropped()).
  uint64_t Push(QueuedRecord fields, absl::string_view text,
                absl::Duration wait = absl::ZeroDuration());

  // The sender: every record queued now (none: an empty batch). When there
  // are none and `sleeping`, log calls wake the sender from now on.
  Batch Take(bool sleeping);
  // Calls f(const QueuedRecord&, absl::string_view text) for each record of
  // `batch`, in order.
  template <typename F>
  void ForEach(const Batch& batch, F&& f) const;
  // Frees the batch's records, counts them processed and wakes the waiters.
  void Release(const Batch& batch);

  // Wakes the sender.
  void Wake();
  // The sender: waits up to `nanos` for a Wake after it read `seen`.
  void WaitForWork(uint32_t seen, int64_t nanos);
  uint32_t wake_seen() const { return wake_word_.load(std::memory_order_acquire); }
  // Bumps the word waiters watch (the sender did something they wait for).
  void Notify();
  // Waits until `done()` or `timeout` passed; returns done(). Only atomics
  // and system calls: safe in a signal handler.
  template <typename Done>
  bool WaitUntil(Done done, absl::Duration timeout) const;

  uint64_t enqueued() const { return enqueued_.load(std::memory_order_acquire); }
  uint64_t processed() const { return processed_.load(std::memory_order_acquire); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // A record that could not even be made (out of memory), counted as dropped.
  void CountDropped(uint64_t n = 1) { dropped_.fetch_add(n, std::memory_order_relaxed); }

  // In a forked child: an empty queue (the parent's records are the
  // parent's to send). Call with mutex() held, as the fork hooks do.
  void ResetAfterFork();
  std::mutex& mutex() { return mu_; }

 private:
  // Copies the record in if there is room now; its number, or 0.
  uint64_t TryPush(const QueuedRecord& fields, absl::string_view text);
  // Where in the ring `bytes` fit (writing a wrap mark if needed), or
  // SIZE_MAX.
  size_t RoomLocked(size_t bytes);
  // Where the record at `at` starts, past a wrap there.
  size_t Unwrap(size_t at) const;

  std::mutex mu_;
  char* ring_ = nullptr;
  size_t head_ = 0;
  size_t tail_ = 0;
  size_t count_ = 0;
  bool sleeping_ = false;  // the sender sleeps until woken
  std::atomic<uint64_t> enqueued_{0};
  std::atomic<uint64_t> processed_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint32_t> wake_word_{0};
  mutable std::atomic<uint32_t> done_word_{0};
};

// --- Implementation of the templates ---

template <typename F>
void RecordQueue::ForEach(const Batch& batch, F&& f) const {
  size_t at = batch.start;
  for (size_t i = 0; i < batch.count; ++i) {
    at = Unwrap(at);
    QueuedRecord record;
    std::memcpy(&record, ring_ + at, sizeof(record));
    f(static_cast<const QueuedRecord&>(record),
      absl::string_view(ring_ + at + sizeof(record), record.text_size));
    at += record.bytes;
  }
}

template <typename Done>
bool RecordQueue::WaitUntil(Done done, absl::Duration timeout) const {
  constexpr int64_t kPollNanos = 1000 * 1000;
  const int64_t deadline = MonotonicNanos() + absl::ToInt64Nanoseconds(timeout);
  while (!done()) {
    const uint32_t seen = done_word_.load(std::memory_order_acquire);
    if (done()) break;
    const int64_t left = deadline - MonotonicNanos();
    if (left <= 0) return false;
    FutexWait(&done_word_, seen, left < kPollNanos ? left : kPollNanos);
  }
  return true;
}

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_RECORD_QUEUE_H_
