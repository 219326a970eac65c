// The queue between log calls and the sender; see record_queue.h.
#include "toil/rtlog/job/record_queue.h"

#include <algorithm>
#include <cstdint>

#include "toil/rtlog/common/utf8.h"

namespace toil::rtlog::internal {

void RecordQueue::Allocate() {
  std::lock_guard<std::mutex> lock(mu_);
  if (ring_ == nullptr) ring_ = new char[kBytes];
}

uint64_t RecordQueue::Push(QueuedRecord fields, absl::string_view text, absl::Duration wait) {
  fields.original_size = static_cast<uint32_t>(std::min<size_t>(text.size(), UINT32_MAX));
  if (text.size() > kMaxText) text = text.substr(0, Utf8CutPoint(text, kMaxText));
  fields.text_size = static_cast<uint32_t>(text.size());
  fields.bytes = static_cast<uint32_t>((sizeof(QueuedRecord) + text.size() + 7) & ~size_t{7});
  uint64_t number = TryPush(fields, text);
  if (number == 0 && wait > absl::ZeroDuration()) {
    // The sender makes room batch by batch, and says so on done_word_.
    constexpr int64_t kPollNanos = 1000 * 1000;
    // Saturated: an endless wait (INT64_MAX) must not wrap into the past.
    const int64_t now = MonotonicNanos();
    const int64_t wait_ns = absl::ToInt64Nanoseconds(wait);
    const int64_t deadline = wait_ns > INT64_MAX - now ? INT64_MAX : now + wait_ns;
    while (number == 0) {
      const uint32_t seen = done_word_.load(std::memory_order_acquire);
      number = TryPush(fields, text);
      const int64_t left = deadline - MonotonicNanos();
      if (number != 0 || left <= 0) break;
      Wake();
      FutexWait(&done_word_, seen, std::min(left, kPollNanos));
    }
  }
  if (number == 0) dropped_.fetch_add(1, std::memory_order_relaxed);
  return number;
}

uint64_t RecordQueue::TryPush(const QueuedRecord& fields, absl::string_view text) {
  uint64_t number = 0;
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const size_t at = RoomLocked(fields.bytes);
    if (at != SIZE_MAX) {
      std::memcpy(ring_ + at, &fields, sizeof(fields));
      std::memcpy(ring_ + at + sizeof(fields), text.data(), text.size());
      tail_ = at + fields.bytes;
      ++count_;
      number = enqueued_.fetch_add(1, std::memory_order_relaxed) + 1;
    }
    wake = sleeping_ || count_ == kWakeBatch;
  }
  if (wake) Wake();
  return number;
}

size_t RecordQueue::RoomLocked(size_t bytes) {
  // Free space is [tail_, end) and [0, head_) when tail_ is ahead of head_
  // (or the ring is empty), else [tail_, head_); tail_ == head_ with
  // records queued means full.
  if (ring_ == nullptr) return SIZE_MAX;
  if (count_ == 0) head_ = tail_ = 0;
  if (count_ == 0 || tail_ > head_) {
    if (kBytes - tail_ >= bytes) return tail_;
    if (bytes > head_) return SIZE_MAX;
    // Wrap: mark the rest of the ring as skipped (no room for a mark means
    // the reader wraps there anyway).
    if (kBytes - tail_ >= sizeof(uint32_t)) {
      const uint32_t wrap = 0;
      std::memcpy(ring_ + tail_, &wrap, sizeof(wrap));
    }
    return 0;
  }
  if (tail_ < head_ && head_ - tail_ >= bytes) return tail_;
  return SIZE_MAX;
}

size_t RecordQueue::Unwrap(size_t at) const {
  // The producer wrapped here: at the very end, or at a zero mark.
  if (at + sizeof(uint32_t) > kBytes) return 0;
  uint32_t bytes;
  std::memcpy(&bytes, ring_ + at, sizeof(bytes));
  return bytes == 0 ? 0 : at;
}

RecordQueue::Batch RecordQueue::Take(bool sleeping) {
  std::lock_guard<std::mutex> lock(mu_);
  sleeping_ = count_ == 0 && sleeping;
  return {head_, count_};
}

void RecordQueue::Release(const Batch& batch) {
  // The records [start, start + count) were the sender's alone: producers
  // never write there.
  size_t at = batch.start;
  for (size_t i = 0; i < batch.count; ++i) {
    at = Unwrap(at);
    uint32_t bytes;
    std::memcpy(&bytes, ring_ + at, sizeof(bytes));
    at += bytes;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    head_ = at;
    count_ -= batch.count;
    if (count_ == 0) head_ = tail_ = 0;
  }
  processed_.fetch_add(batch.count, std::memory_order_release);
  Notify();
}

void RecordQueue::Wake() {
  wake_word_.fetch_add(1, std::memory_order_release);
  FutexWakeAll(&wake_word_);
}

void RecordQueue::WaitForWork(uint32_t seen, int64_t nanos) { FutexWait(&wake_word_, seen, nanos); }

void RecordQueue::Notify() {
  done_word_.fetch_add(1, std::memory_order_release);
  FutexWakeAll(&done_word_);
}

void RecordQueue::ResetAfterFork() {
  head_ = tail_ = count_ = 0;
  sleeping_ = false;
  enqueued_.store(0);
  processed_.store(0);
}

}  // namespace toil::rtlog::internal
