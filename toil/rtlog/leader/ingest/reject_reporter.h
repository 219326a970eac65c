// Reporting refused datagrams without flooding the terminal: at most one
// line per sender per interval (1 s by default), carrying how many arrived
// since the last line, the total, and the latest reason. One reporter per
// kind of refusal ("malformed datagram", "unsigned datagram", ...). Counts
// not yet shown go out with the sender's next datagram once the interval
// has passed, at the next Tick, or at FlushAll. Memory is bounded: at most
// kMaxSenders senders are tracked; beyond that, counts go to one "other
// senders" entry.
#ifndef TOIL_RTLOG_LEADER_INGEST_REJECT_REPORTER_H_
#define TOIL_RTLOG_LEADER_INGEST_REJECT_REPORTER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace toil::rtlog::internal {

class RejectReporter {
 public:
  static constexpr size_t kMaxSenders = 1024;
  using Output = std::function<void(absl::string_view line)>;

  // `what` and `what_plural` name one refused datagram and several
  // ("malformed datagram", "malformed datagrams").
  RejectReporter(Output output, std::string what, std::string what_plural,
                 absl::Duration interval = absl::Seconds(1));

  // Counts one refused datagram from `sender`; may print a line.
  void Report(absl::string_view sender, absl::string_view reason, absl::Time now);
  // Prints a line for every sender with counts not shown for `interval`.
  void Tick(absl::Time now);
  // Prints a line for every sender with counts not shown yet.
  void FlushAll();

  uint64_t total() const { return total_; }

 private:
  struct Sender {
    uint64_t unreported = 0;
    uint64_t total = 0;
    absl::Time last_line = absl::InfinitePast();
    std::string last_reason;
  };
  void Print(absl::string_view sender, Sender& state);

  Output output_;
  std::string what_;
  std::string what_plural_;
  absl::Duration interval_;
  absl::flat_hash_map<std::string, Sender> senders_;
  uint64_t unreported_ = 0;  // over all senders, so Tick can skip the scan
  uint64_t total_ = 0;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_INGEST_REJECT_REPORTER_H_
