// Per-stream gap and duplicate detection; see sequence_tracker.h.
#include "toil/rtlog/leader/ingest/sequence_tracker.h"

#include <algorithm>
#include <vector>

namespace toil::rtlog::internal {
namespace {

bool TestBit(const SequenceTracker::Stream& s, uint64_t seq) {
  const uint64_t bit = seq % SequenceTracker::kWindow;
  return (s.seen[bit / 64] >> (bit % 64)) & 1;
}

void SetBit(SequenceTracker::Stream& s, uint64_t seq) {
  const uint64_t bit = seq % SequenceTracker::kWindow;
  s.seen[bit / 64] |= uint64_t{1} << (bit % 64);
}

void ClearBit(SequenceTracker::Stream& s, uint64_t seq) {
  const uint64_t bit = seq % SequenceTracker::kWindow;
  s.seen[bit / 64] &= ~(uint64_t{1} << (bit % 64));
}

}  // namespace

bool SequenceTracker::Start(uint64_t stream, uint64_t seq, Stream* s) {
  auto remembered = remembered_.find(stream);
  if (remembered != remembered_.end()) {
    // Seen before, and forgotten: everything up to its highest was seen.
    s->highest = remembered->second;
    s->seen.fill(~uint64_t{0});
    remembered_.erase(remembered);
    return true;
  }
  if (seq <= kWindow) return true;
  if (memory_lost_) return false;
  s->highest = seq - 1;  // joined midway: start just below this record
  return true;
}

SequenceTracker::Taken SequenceTracker::Take(uint64_t stream, uint64_t seq) {
  Stream* found = Find(stream);
  const bool first_record = found == nullptr;
  if (first_record) {
    Stream started;
    if (!Start(stream, seq, &started)) {
      ++unknown_;
      ++duplicates_;
      return {Verdict::kUnknown, nullptr, false};
    }
    found = &Add(stream, std::move(started));
  }
  Stream& s = *found;
  s.last_use = ++clock_;
  if (seq > s.highest) {
    Raise(s, seq, /*seen=*/true);
    return {Verdict::kNew, &s, first_record};
  }
  if (s.highest - seq >= kWindow || TestBit(s, seq)) {
    ++s.duplicates;
    ++duplicates_;
    return {Verdict::kDuplicate, &s, first_record};
  }
  SetBit(s, seq);  // late, but inside the window: it was not lost after all
  --s.lost;
  --lost_;
  return {Verdict::kNew, &s, first_record};
}

SequenceTracker::Stream& SequenceTracker::Add(uint64_t stream, Stream started) {
  if (streams_.size() >= kMaxStreams) ForgetOldest();
  return streams_.emplace(stream, std::move(started)).first->second;
}

void SequenceTracker::Raise(Stream& s, uint64_t seq, bool seen) {
  const uint64_t skipped = seq - s.highest - (seen ? 1 : 0);
  s.lost += skipped;
  lost_ += skipped;
  // The window slides up: the numbers it now covers are unseen.
  if (seq - s.highest >= kWindow) {
    s.seen.fill(0);
  } else {
    for (uint64_t n = s.highest + 1; n <= seq; ++n) ClearBit(s, n);
  }
  if (seen) SetBit(s, seq);
  s.highest = seq;
}

SequenceTracker::Stream* SequenceTracker::Expect(uint64_t stream, uint64_t next_seq) {
  if (Stream* known = Find(stream)) {
    known->streamed = true;
    return known;
  }
  Stream started;
  auto remembered = remembered_.find(stream);
  if (remembered != remembered_.end()) {
    started.highest = remembered->second;
    started.seen.fill(~uint64_t{0});
    remembered_.erase(remembered);
  }
  // An authenticated connection says where it starts: no replay to fear.
  if (next_seq > started.highest + 1) {
    started.highest = next_seq - 1;
    started.seen.fill(~uint64_t{0});
  }
  started.streamed = true;
  started.last_use = ++clock_;
  return &Add(stream, std::move(started));
}

uint64_t SequenceTracker::End(uint64_t stream, uint64_t last_seq) {
  Stream* s = Find(stream);
  if (s == nullptr) return 0;
  s->ended = true;
  if (last_seq <= s->highest) return 0;
  const uint64_t lost_before = s->lost;
  Raise(*s, last_seq, /*seen=*/false);
  return s->lost - lost_before;
}

SequenceTracker::Stream* SequenceTracker::Find(uint64_t stream) {
  auto it = streams_.find(stream);
  return it == streams_.end() ? nullptr : &it->second;
}

void SequenceTracker::ForgetOldest() {
  std::vector<uint64_t> uses;
  uses.reserve(streams_.size());
  for (const auto& [id, s] : streams_) uses.push_back(s.last_use);
  auto middle = uses.begin() + uses.size() / 2;
  std::nth_element(uses.begin(), middle, uses.end());
  const uint64_t cutoff = *middle;
  for (auto it = streams_.begin(); it != streams_.end();) {
    if (it->second.last_use < cutoff) {
      ++forgotten_;
      if (remembered_.size() < kMaxRemembered) {
        remembered_[it->first] = it->second.highest;
      } else {
        memory_lost_ = true;
      }
      streams_.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace toil::rtlog::internal
