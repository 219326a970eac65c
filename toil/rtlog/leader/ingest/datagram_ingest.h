// DatagramIngest: what the leader does with each datagram it receives, from
// anyone on the network. In order:
//
//   1. authenticate it, when the run has a secret (datagram_auth.h): forged,
//      tampered, other-run and (unless allowed) unsigned datagrams are
//      refused, counted, and reported at most once a second per sender;
//   2. decode it (record_decoder.h), each record of a packed datagram
//      (packed_datagram.h) on its own: malformed ones are refused the same way.
//      A record in the job side's shape is only scanned (record_scan.h): the
//      sinks decode the rest if they ask for it;
//   3. check its place in its sending process's stream (sequence_tracker.h):
//      duplicates are dropped, and records lost in transit are reported per
//      sending job, at most once a second each. Unsigned records (accepted
//      with allow_unsigned) are tracked apart from signed ones: whatever an
//      unsigned datagram claims, it cannot touch the state that protects a
//      signed stream from replay (nor evict it);
//   4. count it for its sender (sender_table.h), and hand it to the
//      Dispatcher, marked signed or unsigned.
//
// Used by the UdpServer's one processing thread; stats() may be read from any
// thread.
#ifndef TOIL_RTLOG_LEADER_INGEST_DATAGRAM_INGEST_H_
#define TOIL_RTLOG_LEADER_INGEST_DATAGRAM_INGEST_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/base/log_stats.h"
#include "toil/rtlog/leader/ingest/dispatcher.h"
#include "toil/rtlog/leader/ingest/ingest_options.h"
#include "toil/rtlog/leader/ingest/loss_reporter.h"
#include "toil/rtlog/leader/ingest/reject_reporter.h"
#include "toil/rtlog/leader/ingest/sender_table.h"
#include "toil/rtlog/leader/ingest/sequence_tracker.h"
#include "toil/rtlog/wire/datagram_auth.h"
#include "toil/rtlog/wire/record_decoder.h"
#include "toil/rtlog/wire/record_view.h"

namespace toil::rtlog::internal {

class DatagramIngest {
 public:
  static absl::StatusOr<std::unique_ptr<DatagramIngest>> Create(IngestOptions options,
                                                                Dispatcher* dispatcher);

  // One datagram of `size` bytes from `sender` ("ip:port"). `data` must have
  // RecordDecoder::kPadding writable bytes past the end (they are zeroed).
  void Take(char* data, size_t size, absl::string_view sender, absl::Time now);
  // A frame of records from a stream connection (stream_receiver.h), whose
  // handshake proved the run's secret: taken as signed, from step 2 on.
  void TakeStreamed(char* data, size_t size, absl::string_view sender, absl::Time now);
  // A stream connection's first record will be `next_seq` (the records
  // before it were acknowledged before, maybe by another leader).
  void StartStream(uint64_t stream, uint64_t next_seq);
  // The stream's process ended with record `last_seq`: what never came is
  // counted lost, and said.
  void EndStream(uint64_t stream, uint64_t last_seq, absl::Time now);
  // A datagram refused before it could be read (too large).
  void Refuse(absl::string_view sender, absl::string_view reason, absl::Time now);
  // Shows counts held back by the rate limits once their interval passed.
  void Tick(absl::Time now);
  // Shows every count not shown yet, and a summary of the loss in transit.
  void Finish();

  // Its counts: records, malformed, loss, duplicates and refusals.
  LogStats stats() const;
  // Who sent what (may be read from any thread).
  const SenderTable& senders() const { return senders_; }

 private:
  DatagramIngest(IngestOptions options, Dispatcher* dispatcher, std::unique_ptr<DatagramAuth> auth);
  // Step 1: how the datagram is signed; nullopt when it is refused.
  std::optional<Authenticity> Authenticate(absl::string_view datagram, absl::string_view sender,
                                           absl::Time now);
  // Steps 2 to 4 for each record of the datagram.
  void TakeRecords(char* data, size_t size, absl::string_view sender, Authenticity authenticity,
                   absl::Time now);
  // Says which stream connections never said their process ended.
  void ReportStreamsWithoutEnd();
  // Steps 2 to 4 for one record of the datagram; `data` has kPadding
  // readable bytes past `size`.
  void TakeRecord(const char* data, size_t size, absl::string_view sender,
                  Authenticity authenticity, absl::Time now);
  // Step 2 the short way: the record scanned into view_, when it has the job
  // side's shape and needs nothing more of the leader (a job name).
  bool Scan(const char* data, size_t size);
  // The scanned record decoded whole, for a sink or a label that needs it.
  const LogRecord& DecodeScanned();
  // Steps 3 and 4 but the dispatch: whether the record is to be shown (not
  // a duplicate, nor of a stream that no longer is known).
  bool Track(const LogEntry& entry, absl::Time now);
  // The tracker for records of this authenticity.
  SequenceTracker& TrackerFor(Authenticity authenticity) {
    return authenticity == Authenticity::kUnsigned ? unsigned_tracker_ : tracker_;
  }
  // Updates the loss and duplicate totals from both trackers.
  void StoreTotals();
  // Names record_'s job from its pid, when it names none and the options
  // say how (the answers cached, a few thousand pids at most).
  void NameJob();

  IngestOptions options_;
  Dispatcher* dispatcher_;
  std::unique_ptr<DatagramAuth> auth_;
  RecordDecoder decoder_;
  LogRecord record_;
  RecordView view_;                   // the record last scanned
  SequenceTracker tracker_;           // signed records, or all when not checked
  SequenceTracker unsigned_tracker_;  // unsigned records accepted
  SenderTable senders_;
  LossReporter loss_;
  RejectReporter malformed_;
  RejectReporter unsigned_;
  RejectReporter forged_;
  RejectReporter other_run_;
  absl::Time last_tick_ = absl::InfinitePast();
  absl::flat_hash_map<int64_t, std::optional<std::string>> job_of_pid_;

  std::atomic<uint64_t> records_{0};
  std::atomic<uint64_t> malformed_count_{0};
  std::atomic<uint64_t> unsigned_refused_{0};
  std::atomic<uint64_t> unsigned_accepted_{0};
  std::atomic<uint64_t> forged_count_{0};
  std::atomic<uint64_t> other_run_count_{0};
  std::atomic<uint64_t> lost_{0};
  std::atomic<uint64_t> duplicates_{0};
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_INGEST_DATAGRAM_INGEST_H_
