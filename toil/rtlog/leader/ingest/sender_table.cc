// Who is talking to the leader; see sender_table.h.
#include "toil/rtlog/leader/ingest/sender_table.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "toil/rtlog/base/level.h"

namespace toil::rtlog::internal {
namespace {

// The row of a stream's records of this authenticity: unsigned records
// claiming a signed stream's id get a row of their own.
uint64_t StreamKey(uint64_t stream, Authenticity authenticity) {
  if (authenticity != Authenticity::kUnsigned) return stream;
  return absl::HashOf(stream, "unsigned");
}

// The record's row: its stream, or (Python jobs send none) its sender's
// address and pid.
uint64_t KeyOf(const LogEntry& record) {
  if (record.stream() != 0) return StreamKey(record.stream(), record.authenticity());
  return absl::HashOf(record.sender(), record.pid()) | (uint64_t{1} << 63);
}

}  // namespace

SenderTable::Row& SenderTable::RowFor(uint64_t key, absl::Time now) {
  auto found = rows_.find(key);
  if (found != rows_.end()) return found->second;
  if (rows_.size() >= kMaxSenders) ForgetOldestLocked();
  Row& row = rows_[key];
  row.first_seen = now;
  return row;
}

void SenderTable::Count(const LogEntry& record, absl::Time now, uint64_t lost,
                        uint64_t duplicates) {
  std::lock_guard<std::mutex> lock(mu_);
  Row& row = RowFor(KeyOf(record), now);
  if (row.job.empty()) {
    row.job = std::string(!record.job().empty() ? record.job() : record.process_name());
    row.host = std::string(record.host());
    row.pid = record.pid();
  }
  const absl::string_view sender = record.sender();
  if (row.address != sender) row.address.assign(sender.data(), sender.size());
  ++row.records_by_level[LevelIndex(record.level())];
  row.last_seen = now;
  row.lost = lost;
  row.duplicates = duplicates;
  row.signed_records = record.authenticity() == Authenticity::kSigned;
}

void SenderTable::UpdateLoss(uint64_t stream, Authenticity authenticity, uint64_t lost,
                             uint64_t duplicates, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = rows_.find(StreamKey(stream, authenticity));
  if (found == rows_.end()) return;
  found->second.lost = lost;
  found->second.duplicates = duplicates;
  found->second.last_seen = now;
}

void SenderTable::ForgetOldestLocked() {
  std::vector<absl::Time> seen;
  seen.reserve(rows_.size());
  for (const auto& [key, row] : rows_) seen.push_back(row.last_seen);
  std::nth_element(seen.begin(), seen.begin() + seen.size() / 2, seen.end());
  const absl::Time median = seen[seen.size() / 2];
  for (auto it = rows_.begin(); it != rows_.end();) {
    if (it->second.last_seen <= median) {
      rows_.erase(it++);
      ++forgotten_;
    } else {
      ++it;
    }
  }
}

std::vector<SenderTable::Row> SenderTable::Snapshot() const {
  std::vector<Row> rows;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rows.reserve(rows_.size());
    for (const auto& [key, row] : rows_) rows.push_back(row);
  }
  std::sort(rows.begin(), rows.end(),
            [](const Row& a, const Row& b) { return a.last_seen > b.last_seen; });
  return rows;
}

uint64_t SenderTable::forgotten() const {
  std::lock_guard<std::mutex> lock(mu_);
  return forgotten_;
}

}  // namespace toil::rtlog::internal
