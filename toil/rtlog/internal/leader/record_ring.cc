// The leader's recent records, for viewers; see record_ring.h.
#include "toil/rtlog/internal/leader/record_ring.h"

#include <fnmatch.h>

#include <algorithm>

#include "re2/re2.h"
#include "toil/rtlog/json_lines_sink.h"

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

RecordRing::RecordRing(Options options)
    : options_(options), slots_(options.records > 0 ? options.records : 1) {}

RecordRing::~RecordRing() { Close(); }

void RecordRing::Send(const LogEntry& entry) {
  scratch_.clear();
  JsonLinesSink::AppendLine(entry, &scratch_);
  const LogRecord& record = entry.record();
  const std::string& job = !record.job().empty() ? record.job() : record.process_name();
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (next_ - oldest_ == slots_.size()) EvictOldestLocked();
    Slot& slot = slots_[next_ % slots_.size()];
    slot.levelno = record.levelno();
    Store(scratch_, &slot.jsonl);
    Store(job, &slot.job);
    Store(record.hostname(), &slot.host);
    Store(entry.text_message(), &slot.message);
    bytes_ += slot.bytes();
    ++next_;
    while (bytes_ > options_.bytes && next_ - oldest_ > 1) EvictOldestLocked();
    // A reader waits for this record: wake the waiting readers now, not at
    // the dispatcher's next Flush (a busy leader flushes only when it has
    // caught up, which under load may be hundreds of milliseconds away).
    // Those still waiting say so again.
    if (next_ > wanted_) {
      wanted_ = UINT64_MAX;
      wake = true;
    }
  }
  if (wake) more_.notify_all();
}

void RecordRing::EvictOldestLocked() {
  Slot& slot = slots_[oldest_ % slots_.size()];
  bytes_ -= slot.bytes();
  for (std::string* text : {&slot.jsonl, &slot.job, &slot.host, &slot.message}) {
    text->clear();
    if (text->capacity() > kShrinkAbove) text->shrink_to_fit();
  }
  ++oldest_;
}

void RecordRing::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  more_.notify_all();
}

uint64_t RecordRing::Oldest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return oldest_;
}

int RecordRing::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_;
}

uint64_t RecordRing::Next() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_;
}

bool RecordRing::Matches(const Slot& slot, const RecordFilter& filter) const {
  if (slot.levelno < filter.min_levelno) return false;
  if (!filter.host.empty() && slot.host != filter.host) return false;
  if (!filter.job_glob.empty() &&
      fnmatch(filter.job_glob.c_str(), slot.job.c_str(), 0) != 0) {
    return false;
  }
  return filter.grep == nullptr || RE2::PartialMatch(slot.message, *filter.grep);
}

uint64_t RecordRing::Read(uint64_t cursor, const RecordFilter& filter,
                          size_t max_bytes, Batch* batch) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (cursor < oldest_) {
    batch->missed += oldest_ - cursor;
    cursor = oldest_;
  }
  // A bounded stretch per call, so that the lock is held only briefly.
  const uint64_t end = std::min(next_, cursor + kScanPerRead);
  while (cursor < end && batch->jsonl.size() < max_bytes) {
    const Slot& slot = slots_[cursor % slots_.size()];
    if (Matches(slot, filter)) {
      batch->jsonl.append(slot.jsonl);
      ++batch->records;
    }
    ++cursor;
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

bool RecordRing::WaitForMore(uint64_t cursor, absl::Time deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  const auto until = std::chrono::system_clock::now() +
                     std::chrono::microseconds(absl::ToInt64Microseconds(
                         std::max(deadline - absl::Now(), absl::ZeroDuration())));
  ++waiting_;
  while (next_ <= cursor && !closed_) {
    wanted_ = std::min(wanted_, cursor);
    if (more_.wait_until(lock, until) == std::cv_status::timeout) break;
  }
  --waiting_;
  return next_ > cursor;
}

}  // namespace toil::rtlog::internal
