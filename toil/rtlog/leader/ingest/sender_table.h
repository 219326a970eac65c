// SenderTable: who is talking to the leader. One row per sending process (a
// C++ job's stream, or a Python job's address and pid; unsigned records
// never share a row with signed ones, whatever stream they claim): its job, host and
// pid, its records by level, when it was first and last heard from, and what
// was lost or duplicated on the way. For the control plane's ListSenders.
//
// Memory is bounded: at most kMaxSenders rows; when a new sender would
// exceed that, the half heard from least recently are forgotten (and
// counted). Updated by the receive path, read from any thread.
#ifndef TOIL_RTLOG_LEADER_INGEST_SENDER_TABLE_H_
#define TOIL_RTLOG_LEADER_INGEST_SENDER_TABLE_H_

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace toil::rtlog::internal {

class SenderTable {
 public:
  static constexpr size_t kMaxSenders = 16384;

  struct Row {
    std::string job;
    std::string host;
    int64_t pid = 0;
    std::string address;  // ip:port of its latest datagram
    // TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL.
    std::array<uint64_t, 6> records_by_level{};
    absl::Time first_seen;
    absl::Time last_seen;
    uint64_t lost = 0;
    uint64_t duplicates = 0;
    bool signed_records = false;
  };

  // A record was shown (its sender and authenticity are the entry's);
  // `lost` and `duplicates` are its stream's totals so far (0 for records
  // without one).
  void Count(const LogEntry& record, absl::Time now, uint64_t lost, uint64_t duplicates);
  // That stream's (of that authenticity) totals changed without a record
  // shown: one was dropped as a duplicate, or its end said what never came.
  void UpdateLoss(uint64_t stream, Authenticity authenticity, uint64_t lost, uint64_t duplicates,
                  absl::Time now);

  // Every row, the most recently heard from first.
  std::vector<Row> Snapshot() const;
  uint64_t forgotten() const;

 private:
  Row& RowFor(uint64_t key, absl::Time now);
  void ForgetOldestLocked();

  mutable std::mutex mu_;
  absl::flat_hash_map<uint64_t, Row> rows_;
  uint64_t forgotten_ = 0;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_INGEST_SENDER_TABLE_H_
