// The leader's recent records, for viewers; see record_ring.h.
#include "toil/rtlog/leader/control/record_ring.h"

#include <fnmatch.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "re2/re2.h"
#include "toil/rtlog/sinks/tail_entry.h"

namespace toil::rtlog::internal {
namespace {

// Slots whose strings grew past this are given their memory back when
// reused for a smaller record, so big records do not pin memory.
constexpr size_t kShrinkAbove = 16 * 1024;

// Records a Read looks at, at most, while it holds the lock.
constexpr uint64_t kScanPerRead = 1024;

void Store(absl::string_view text, std::string* into) {
  into->assign(text.data(), text.size());
  if (into->capacity() > kShrinkAbove && text.size() <= kShrinkAbove) into->shrink_to_fit();
}

}  // namespace

std::string RecordRing::Batch::Bytes() const {
  std::string text;
  text.reserve(bytes);
  for (const Piece& piece : pieces) text.append(piece.data, piece.size);
  return text;
}

void RecordRing::Batch::Clear() {
  pieces.clear();
  bytes = 0;
  records = 0;
  missed = 0;
}

RecordRing::RecordRing(Options options)
    : options_(options), slots_(options.records > 0 ? options.records : 1) {}

RecordRing::~RecordRing() { Close(); }

void RecordRing::SetWaker(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mu_);
  wake_ = std::move(wake);
}

void RecordRing::KeepEntryLocked(Slot* slot) {
  if (block_ == nullptr || block_->capacity - block_->used < scratch_.size()) {
    block_ = std::make_shared<Block>(std::max(options_.block_bytes, scratch_.size()));
  }
  char* entry = block_->data.get() + block_->used;
  std::memcpy(entry, scratch_.data(), scratch_.size());
  block_->used += scratch_.size();
  slot->block = block_;
  slot->entry = entry;
  slot->entry_size = scratch_.size();
}

void RecordRing::Send(const LogEntry& entry) {
  scratch_.clear();
  AppendTailEntry(entry, &scratch_);
  const LogRecord& record = internal::RecordOf(entry);
  const std::string& job = !record.job().empty() ? record.job() : record.process_name();
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (next_ - oldest_ == slots_.size()) EvictOldestLocked();
    Slot& slot = slots_[next_ % slots_.size()];
    slot.levelno = record.levelno();
    KeepEntryLocked(&slot);
    Store(job, &slot.job);
    Store(record.hostname(), &slot.host);
    Store(record.name(), &slot.logger);
    Store(entry.text_message(), &slot.message);
    bytes_ += slot.bytes();
    ++next_;
    while (bytes_ > options_.bytes && next_ - oldest_ > 1) EvictOldestLocked();
    // A reader waits for this record: wake it now, not at the dispatcher's
    // next Flush (a busy leader flushes only when it has caught up, which
    // under load may be hundreds of milliseconds away).
    if (next_ > wanted_) {
      wanted_ = UINT64_MAX;
      wake = wake_;
    }
  }
  if (wake) wake();
}

void RecordRing::EvictOldestLocked() {
  Slot& slot = slots_[oldest_ % slots_.size()];
  bytes_ -= slot.bytes();
  slot.block.reset();
  slot.entry = nullptr;
  slot.entry_size = 0;
  for (std::string* text : {&slot.job, &slot.host, &slot.logger, &slot.message}) {
    text->clear();
    if (text->capacity() > kShrinkAbove) text->shrink_to_fit();
  }
  ++oldest_;
}

void RecordRing::Close() {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    if (wanted_ != UINT64_MAX) {
      wanted_ = UINT64_MAX;
      wake = wake_;
    }
  }
  if (wake) wake();
}

bool RecordRing::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

uint64_t RecordRing::Oldest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return oldest_;
}

uint64_t RecordRing::Next() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_;
}

bool RecordRing::Matches(const Slot& slot, const RecordFilter& filter) const {
  if (slot.levelno < filter.min_levelno) return false;
  if (!filter.host.empty() && slot.host != filter.host) return false;
  if (!filter.logger.empty() && slot.logger != filter.logger) return false;
  if (!filter.job_glob.empty() && fnmatch(filter.job_glob.c_str(), slot.job.c_str(), 0) != 0) {
    return false;
  }
  return filter.grep == nullptr || RE2::PartialMatch(slot.message, *filter.grep);
}

uint64_t RecordRing::Read(uint64_t cursor, const RecordFilter& filter, size_t max_bytes,
                          Batch* batch) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (cursor < oldest_) {
    batch->missed += oldest_ - cursor;
    cursor = oldest_;
  }
  // A bounded stretch per call, so that the lock is held only briefly.
  const uint64_t end = std::min(next_, cursor + kScanPerRead);
  const bool all = filter.MatchesAll();
  while (cursor < end && batch->bytes < max_bytes) {
    const Slot& slot = slots_[cursor % slots_.size()];
    ++cursor;
    if (!all && !Matches(slot, filter)) continue;
    // Entries that follow each other in one block go out as one piece.
    Piece* last = batch->pieces.empty() ? nullptr : &batch->pieces.back();
    if (last != nullptr && last->block == slot.block && last->data + last->size == slot.entry) {
      last->size += slot.entry_size;
    } else {
      batch->pieces.push_back({slot.block, slot.entry, slot.entry_size});
    }
    batch->bytes += slot.entry_size;
    ++batch->records;
  }
  return cursor;
}

uint64_t RecordRing::StartOfLast(uint32_t n, const RecordFilter& filter) const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t start = next_;
  for (uint32_t found = 0; found < n && start > oldest_;) {
    --start;
    if (Matches(slots_[start % slots_.size()], filter)) ++found;
  }
  return start;
}

bool RecordRing::WakeWhenKept(uint64_t number) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (next_ > number || closed_) return true;
  wanted_ = number;
  return false;
}

}  // namespace toil::rtlog::internal
