// The leader's handling of one datagram; see datagram_ingest.h.
#include "toil/rtlog/leader/ingest/datagram_ingest.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "toil/rtlog/base/plural.h"
#include "toil/rtlog/common/line_format.h"
#include "toil/rtlog/wire/packed_datagram.h"
#include "toil/rtlog/wire/record_scan.h"

namespace toil::rtlog::internal {
namespace {

constexpr absl::Duration kReportInterval = absl::Seconds(1);

}  // namespace

absl::StatusOr<std::unique_ptr<DatagramIngest>> DatagramIngest::Create(IngestOptions options,
                                                                       Dispatcher* dispatcher) {
  std::unique_ptr<DatagramAuth> auth;
  if (!options.secret.empty()) {
    absl::StatusOr<std::unique_ptr<DatagramAuth>> made = DatagramAuth::FromSecret(options.secret);
    if (!made.ok()) return made.status();
    auth = *std::move(made);
  }
  return std::unique_ptr<DatagramIngest>(
      new DatagramIngest(std::move(options), dispatcher, std::move(auth)));
}

DatagramIngest::DatagramIngest(IngestOptions options, Dispatcher* dispatcher,
                               std::unique_ptr<DatagramAuth> auth)
    : options_(std::move(options)),
      dispatcher_(dispatcher),
      auth_(std::move(auth)),
      loss_(options_.diagnostics),
      malformed_(options_.diagnostics, "malformed datagram", "malformed datagrams"),
      unsigned_(options_.diagnostics, "unsigned datagram refused", "unsigned datagrams refused"),
      forged_(options_.diagnostics, "datagram with a bad signature refused",
              "datagrams with a bad signature refused"),
      other_run_(options_.diagnostics, "datagram signed for another run refused",
                 "datagrams signed for another run refused") {
  decoder_.set_decode_args_value(false);  // args are used as raw JSON text
  decoder_.set_python_json(true);         // as Python jobs write it
  view_.decode = [this]() -> const LogRecord& { return DecodeScanned(); };
}

void DatagramIngest::Refuse(absl::string_view sender, absl::string_view reason, absl::Time now) {
  malformed_count_.fetch_add(1, std::memory_order_relaxed);
  malformed_.Report(sender, reason, now);
}

void DatagramIngest::Take(char* data, size_t size, absl::string_view sender, absl::Time now) {
  const std::optional<Authenticity> authenticity =
      Authenticate(absl::string_view(data, size), sender, now);
  if (authenticity) TakeRecords(data, size, sender, *authenticity, now);
}

void DatagramIngest::TakeStreamed(char* data, size_t size, absl::string_view sender,
                                  absl::Time now) {
  // The connection's handshake proved the run's secret.
  TakeRecords(data, size, sender, Authenticity::kSigned, now);
}

std::optional<Authenticity> DatagramIngest::Authenticate(absl::string_view datagram,
                                                         absl::string_view sender, absl::Time now) {
  if (auth_ == nullptr) return Authenticity::kNotChecked;
  switch (auth_->Verify(datagram)) {
    case DatagramAuth::Verdict::kSigned:
      return Authenticity::kSigned;
    case DatagramAuth::Verdict::kUnsigned:
      if (!options_.allow_unsigned) {
        unsigned_refused_.fetch_add(1, std::memory_order_relaxed);
        unsigned_.Report(sender,
                         "no signature (jobs that cannot sign, such as Python jobs, need the "
                         "leader to allow unsigned records)",
                         now);
        return std::nullopt;
      }
      unsigned_accepted_.fetch_add(1, std::memory_order_relaxed);
      return Authenticity::kUnsigned;
    case DatagramAuth::Verdict::kOtherRun:
      other_run_count_.fetch_add(1, std::memory_order_relaxed);
      other_run_.Report(sender, "signed with another run's secret", now);
      return std::nullopt;
    case DatagramAuth::Verdict::kForged:
      forged_count_.fetch_add(1, std::memory_order_relaxed);
      forged_.Report(sender, "the signature does not match (forged or altered)", now);
      return std::nullopt;
  }
  return std::nullopt;
}

void DatagramIngest::TakeRecords(char* data, size_t size, absl::string_view sender,
                                 Authenticity authenticity, absl::Time now) {
  // The decoder reads up to kPadding bytes past the end; zero them so that
  // nothing of an earlier, longer datagram is seen.
  std::memset(data + size, 0, RecordDecoder::kPadding);
  ForEachPackedRecord(absl::string_view(data, size), [&](size_t offset, size_t length) {
    TakeRecord(data + offset, length, sender, authenticity, now);
  });
}

void DatagramIngest::StartStream(uint64_t stream, uint64_t next_seq) {
  if (stream != 0) tracker_.Expect(stream, next_seq);
}

void DatagramIngest::EndStream(uint64_t stream, uint64_t last_seq, absl::Time now) {
  const uint64_t never_came = tracker_.End(stream, last_seq);
  if (never_came == 0) return;
  StoreTotals();
  SequenceTracker::Stream& ended = *tracker_.Find(stream);
  senders_.UpdateLoss(stream, Authenticity::kSigned, ended.lost, ended.duplicates, now);
  loss_.Report(ended, now, /*force=*/true);
}

void DatagramIngest::TakeRecord(const char* data, size_t size, absl::string_view sender,
                                Authenticity authenticity, absl::Time now) {
  if (Scan(data, size)) {
    const LogEntry entry(view_, sender, authenticity);
    if (!Track(entry, now)) return;
    dispatcher_->Dispatch(entry);
    records_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const absl::Status status = decoder_.DecodePadded(data, size, &record_);
  if (!status.ok()) {
    Refuse(sender, status.message(), now);
    return;
  }
  if (record_.job().empty() && options_.job_of_process) NameJob();
  if (!Track(LogEntry(record_, "", true, sender, "", authenticity), now)) return;
  dispatcher_->Dispatch(record_, sender, decoder_.raw_args(), decoder_.raw_msg(), authenticity);
  records_.fetch_add(1, std::memory_order_relaxed);
}

bool DatagramIngest::Scan(const char* data, size_t size) {
  if (!ScanRecord(absl::string_view(data, size), &view_)) return false;
  return !(view_.job.empty() && options_.job_of_process);  // NameJob() needs the record
}

const LogRecord& DatagramIngest::DecodeScanned() {
  // The scan accepted it, so the decoder does (record_scan_test).
  // view_.json is the record in the datagram, with kPadding bytes after it.
  if (!decoder_.DecodePadded(view_.json.data(), view_.json.size(), &record_).ok()) record_.Clear();
  return record_;
}

bool DatagramIngest::Track(const LogEntry& entry, absl::Time now) {
  const Authenticity authenticity = entry.authenticity();
  uint64_t stream_lost = 0;
  uint64_t stream_duplicates = 0;
  if (entry.stream() != 0 && entry.seq() != 0) {
    SequenceTracker& tracker = TrackerFor(authenticity);
    const SequenceTracker::Taken taken = tracker.Take(entry.stream(), entry.seq());
    StoreTotals();
    if (taken.verdict == SequenceTracker::Verdict::kUnknown) return false;
    SequenceTracker::Stream& stream = *taken.stream;
    // Named after the stream's first record.
    if (taken.first_record || stream.label.empty()) {
      AppendSenderLabel(RecordOf(entry), entry.sender(), &stream.label);
      if (authenticity == Authenticity::kUnsigned) stream.label.append(" (unsigned)");
    }
    if (stream.lost > stream.reported_lost || stream.duplicates > stream.reported_duplicates) {
      loss_.Report(stream, now, /*force=*/false);
    }
    if (taken.verdict == SequenceTracker::Verdict::kDuplicate) {
      senders_.UpdateLoss(entry.stream(), authenticity, stream.lost, stream.duplicates, now);
      return false;
    }
    stream_lost = stream.lost;
    stream_duplicates = stream.duplicates;
  }
  senders_.Count(entry, now, stream_lost, stream_duplicates);
  return true;
}

void DatagramIngest::NameJob() {
  constexpr size_t kMaxCached = 4096;
  if (record_.process() <= 0) return;
  auto found = job_of_pid_.find(record_.process());
  if (found == job_of_pid_.end()) {
    if (job_of_pid_.size() >= kMaxCached) job_of_pid_.clear();
    found =
        job_of_pid_.emplace(record_.process(), options_.job_of_process(record_.process())).first;
  }
  if (found->second.has_value()) record_.set_job(*found->second);
}

void DatagramIngest::StoreTotals() {
  lost_.store(tracker_.lost() + unsigned_tracker_.lost(), std::memory_order_relaxed);
  duplicates_.store(tracker_.duplicates() + unsigned_tracker_.duplicates(),
                    std::memory_order_relaxed);
}

void DatagramIngest::Tick(absl::Time now) {
  if (now - last_tick_ < kReportInterval) return;
  last_tick_ = now;
  for (RejectReporter* r : {&malformed_, &unsigned_, &forged_, &other_run_}) {
    r->Tick(now);
  }
  for (SequenceTracker* tracker : {&tracker_, &unsigned_tracker_}) {
    tracker->ForEach([&](SequenceTracker::Stream& stream) {
      if (stream.lost != stream.reported_lost || stream.duplicates != stream.reported_duplicates) {
        loss_.Report(stream, now, /*force=*/false);
      }
    });
  }
  loss_.Flush(now, /*force=*/false);
}

void DatagramIngest::Finish() {
  for (RejectReporter* r : {&malformed_, &unsigned_, &forged_, &other_run_}) {
    r->FlushAll();
  }
  ReportStreamsWithoutEnd();
  uint64_t senders = 0;
  for (SequenceTracker* tracker : {&tracker_, &unsigned_tracker_}) {
    tracker->ForEach([&](SequenceTracker::Stream& stream) {
      loss_.Report(stream, absl::Now(), /*force=*/true);
      if (stream.lost > 0) ++senders;
    });
  }
  loss_.Flush(absl::Now(), /*force=*/true);
  const uint64_t lost = tracker_.lost() + unsigned_tracker_.lost();
  if (lost > 0) {
    options_.diagnostics(absl::StrCat(
        "toil-rtlog: warning: ", CountedWas(lost, "record", "records"),
        " lost in transit in all, from ", senders, " sending process", senders == 1 ? "" : "es"));
  }
}

void DatagramIngest::ReportStreamsWithoutEnd() {
  constexpr int kNamed = 5;
  uint64_t count = 0;
  std::string named;
  tracker_.ForEach([&](SequenceTracker::Stream& stream) {
    if (!stream.streamed || stream.ended) return;
    if (++count <= kNamed) {
      absl::StrAppend(&named, named.empty() ? "" : "; ", stream.label, " (up to record ",
                      stream.highest, ")");
    }
  });
  if (count == 0) return;
  options_.diagnostics(
      absl::StrCat("toil-rtlog: warning: ", count, " stream connection", count == 1 ? "" : "s",
                   " never said ", count == 1 ? "its" : "their",
                   " process ended (killed, or still running when the leader stopped); records not "
                   "yet sent are not known here: ",
                   named, count > kNamed ? absl::StrCat("; and ", count - kNamed, " more") : ""));
}

LogStats DatagramIngest::stats() const {
  LogStats s;
  s.signatures_checked = auth_ != nullptr;
  s.records = records_.load(std::memory_order_relaxed);
  s.malformed = malformed_count_.load(std::memory_order_relaxed);
  s.unsigned_refused = unsigned_refused_.load(std::memory_order_relaxed);
  s.unsigned_accepted = unsigned_accepted_.load(std::memory_order_relaxed);
  s.forged = forged_count_.load(std::memory_order_relaxed);
  s.other_run = other_run_count_.load(std::memory_order_relaxed);
  s.lost = lost_.load(std::memory_order_relaxed);
  s.duplicates = duplicates_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace toil::rtlog::internal
