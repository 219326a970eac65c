// The sender thread's work on each record; see record_sender.h.
#include "toil/rtlog/job/record_sender.h"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "toil/rtlog/base/environment.h"
#include "toil/rtlog/base/fd_write.h"
#include "toil/rtlog/common/line_format.h"
#include "toil/rtlog/job/futex.h"
#include "toil/rtlog/job/record_copies.h"
#include "toil/rtlog/wire/datagram_fit.h"
#include "toil/rtlog/wire/record_encoder.h"
#include "toil/rtlog/wire/stream_frame.h"

namespace toil::rtlog::internal {
namespace {

// How long a job may wait for its leader's host name to resolve.
constexpr absl::Duration kResolveTimeout = absl::Seconds(2);
// How often the sender tries again to reach a leader it could not.
constexpr int64_t kReconnectNanos = 1000 * 1000 * 1000;
// How long the sender thread tries to open its stream connection before it
// falls back to datagrams, unless refused sooner (records wait in the queue
// meanwhile). Silence may be loss on the way: TCP tries again.
constexpr absl::Duration kStreamStartTimeout = absl::Seconds(10);
// A frame's records: as much as a datagram carries.
constexpr size_t kMaxFrameRecords = kMaxFrame - kFrameHeader;
// The most of the job's own copies held before they are written.
constexpr size_t kCopyChunk = 64 << 10;

}  // namespace

uint64_t NewStreamId() {
  uint64_t id = 0;
  if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id)) {
    // No entropy yet (early boot): pid, time and an address differ enough.
    id = (static_cast<uint64_t>(getpid()) << 32) ^
         static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())) ^ reinterpret_cast<uintptr_t>(&id);
  }
  return id == 0 ? 1 : id;
}

void RecordSender::Configure(const ClientConfig& config, RecordContext context) {
  context_ = std::move(context);
  encoder_.Reset(context_);
  stream_id_ = NewStreamId();
  if (!config.secret.empty()) {
    absl::StatusOr<std::unique_ptr<DatagramAuth>> auth = DatagramAuth::FromSecret(config.secret);
    if (auth.ok()) {
      auth_ = *std::move(auth);
    } else {  // the secret itself is not shown
      WarnOnStderr(absl::StrCat(kSecretVariable, " is not usable: ", auth.status().message(),
                                "; records are sent unsigned, and a leader that requires "
                                "signatures refuses them"));
    }
  }
  packer_ = std::make_unique<DatagramPacker>(config.packed_bytes, auth_.get());
  if (config.leader) SetUpLeader(*config.leader);
  if (config.stream && leader_address_ && auth_ != nullptr) {
    SetUpStream(*config.stream, config.secret);
  }
}

void RecordSender::SetUpStream(const HostPort& stream, const std::string& secret) {
  absl::StatusOr<SocketAddress> address = Resolve(stream, kResolveTimeout);
  absl::StatusOr<std::unique_ptr<StreamTlsContext>> tls =
      StreamTlsContext::Create(secret, StreamTlsContext::kClient);
  if (!address.ok() || !tls.ok()) {
    WarnOnStderr(absl::StrCat(kStreamVariable, "=", stream.ToString(), ": ",
                              (address.ok() ? tls.status() : address.status()).message(),
                              "; records are sent as datagrams"));
    return;
  }
  stream_address_ = *address;
  stream_tls_ = *std::move(tls);
  stream_ = std::make_unique<StreamClient>(*stream_address_, stream_tls_, stream_id_,
                                           StreamClient::kDefaultBufferBytes);
  stream_view_.store(stream_.get(), std::memory_order_release);
  starting_.store(true, std::memory_order_release);
}

void RecordSender::Start() {
  if (stream_ == nullptr) return;
  stream_->Pump(absl::Now() + kStreamStartTimeout,
                [this] { return stream_->connected() || stream_->refused(); });
  starting_.store(false, std::memory_order_release);
  if (stream_->connected()) return;
  WarnOnStderr(absl::StrCat("cannot open a stream connection to the leader at ",
                            stream_address_->ToString(), ": ",
                            stream_->last_error().empty() ? "no answer" : stream_->last_error(),
                            "; records are sent as datagrams instead (not acknowledged)"));
  stream_view_.store(nullptr, std::memory_order_release);
  retired_ = std::move(stream_);
}

void RecordSender::SetUpLeader(const HostPort& leader) {
  absl::StatusOr<SocketAddress> address = Resolve(leader, kResolveTimeout);
  if (!address.ok()) {
    WarnOnStderr(absl::StrCat(kAddressVariable, "=", leader.ToString(), ": ",
                              address.status().message(), "; records are written to stderr only"));
    return;
  }
  leader_address_ = *address;
  leader_text_ = address->ToString();
  const int error = Connect();
  if (error != 0) {
    WarnOnStderr(absl::StrCat("cannot reach the leader at ", leader_text_, ": ",
                              std::strerror(error),
                              "; records are written to stderr and counted as not sent, and the "
                              "job tries again every second"));
  }
}

int RecordSender::Connect() {
  last_connect_attempt_ = MonotonicNanos();
  const int fd = socket(leader_address_->family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  if (connect(fd, leader_address_->get(), leader_address_->length) != 0) {
    const int error = errno;
    close(fd);
    return error;
  }
  socket_ = fd;
  return 0;
}

bool RecordSender::Reconnect() {
  if (MonotonicNanos() - last_connect_attempt_ < kReconnectNanos) return false;
  return Connect() == 0;
}

void RecordSender::Add(const QueuedRecord& queued, absl::string_view text) {
  if (!RecordCopiesDiscarded()) AppendCopy(queued, text);
  // A long batch's copies go out as they fill a chunk: held whole, a queue
  // full of records would double as much memory again.
  if (lines_.size() >= kCopyChunk) WriteCopies();
  if (!leader_address_) return;  // no leader: stderr only
  if (stream_ != nullptr) {
    AddToStream(queued, text);
    return;
  }
  if (socket_ < 0 && !Reconnect()) {
    // Not sent, but numbered: the leader sees the gap too.
    ++next_seq_;
    send_failed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const size_t limit = kMaxDatagramBytes - (auth_ != nullptr ? DatagramAuth::kTrailerBytes : 0);
  if (packer_->Add(Encode(queued, text, next_seq_++, limit))) SendDatagrams();
}

void RecordSender::AppendCopy(const QueuedRecord& queued, absl::string_view text) {
  std::string marked;
  if (queued.original_size > text.size()) {
    // Cut when queued: the job's own log says so too.
    marked = WithCutMarker(text, queued.original_size);
    text = marked;
  }
  AppendRecordCopy(queued, text, context_, copy_options_, &lines_);
}

absl::string_view RecordSender::Encode(const QueuedRecord& queued, absl::string_view text,
                                       uint64_t seq, size_t limit) {
  const absl::string_view json = encoder_.Encode(queued, text, seq, stream_id_);
  if (json.size() <= limit && queued.original_size <= text.size()) return json;
  // Too long, or cut when queued (and marked so): as rare as such records
  // are, through a LogRecord.
  BuildRecord(queued, text, context_, &record_);
  record_.set_stream(stream_id_);
  record_.set_seq(seq);
  EncodeRecord(record_, &json_);
  if (FitRecordToDatagram(&record_, &json_, limit, queued.original_size)) {
    cut_.fetch_add(1, std::memory_order_relaxed);
  }
  return json_;
}

void RecordSender::AddToStream(const QueuedRecord& queued, absl::string_view text) {
  const uint64_t seq = next_seq_++;
  numbered_.store(seq, std::memory_order_release);
  if (stream_->full() && !stream_->connected()) {
    // The leader is away and its share is kept already: this one is only
    // counted (and its number missing tells the leader).
    send_failed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const absl::string_view json = Encode(queued, text, seq, kMaxFrameRecords);
  if (frame_records_ > 0 && frame_.size() - kFrameHeader + 1 + json.size() > kMaxFrameRecords) {
    CloseFrame();
  }
  if (frame_records_ == 0) {
    frame_ = stream_->NewFrame();
    frame_first_ = seq;
  } else {
    frame_.push_back('\n');
  }
  frame_.append(json.data(), json.size());
  frame_last_ = seq;
  ++frame_records_;
}

void RecordSender::CloseFrame() {
  if (frame_records_ == 0) return;
  stream_->Add(std::move(frame_), frame_first_, frame_last_, frame_records_);
  sent_.fetch_add(frame_records_, std::memory_order_relaxed);
  frame_.clear();  // moved from: empty in fact, and now by definition
  frame_records_ = 0;
  if (stream_->window_full() && stream_->connected()) {
    // Backpressure: the leader's acknowledgements make room (a leader that
    // stops acknowledging is given up after StreamClient::kStallTimeout).
    stream_->Pump(absl::Now() + StreamClient::kStallTimeout + absl::Seconds(1),
                  [this] { return !stream_->window_full() || !stream_->connected(); });
  } else {
    stream_->Pump(absl::Now());
  }
}

void RecordSender::PumpStream(absl::Duration wait) {
  if (stream_ != nullptr) stream_->Pump(absl::Now() + wait);
}

void RecordSender::FinishStream(absl::Duration stall, absl::Duration limit) {
  if (stream_ == nullptr) return;
  CloseFrame();
  const absl::Time give_up = absl::Now() + limit;
  uint64_t acknowledged = stream_->acknowledged();
  uint64_t failed_before = stream_->failed_attempts();
  absl::Time progress = absl::Now();
  // A connected leader that stays silent is given up after
  // StreamClient::kStallTimeout and `stall` more. Once not connected (no
  // one there, or a connection given up), the job connects again: the
  // leader is given up after `stall` without progress only when two
  // attempts failed meanwhile, so that one slow to answer (TCP backing off
  // under heavy loss) is not taken for one that is gone.
  const auto stalled = [&] {
    const absl::Duration quiet = absl::Now() - progress;
    if (stream_->connected()) return quiet > StreamClient::kStallTimeout + stall;
    return quiet > stall && stream_->failed_attempts() >= failed_before + 2;
  };
  while (!stream_->all_acknowledged() && absl::Now() < give_up && !stalled()) {
    stream_->Pump(std::min(give_up, absl::Now() + absl::Milliseconds(100)),
                  [this] { return stream_->all_acknowledged(); });
    if (stream_->acknowledged() != acknowledged) {
      acknowledged = stream_->acknowledged();
      failed_before = stream_->failed_attempts();
      progress = absl::Now();
    }
  }
  stream_->End(next_seq_ - 1, std::min(give_up, absl::Now() + absl::Seconds(2)));
}

const std::string& RecordSender::stream_error() const {
  static const std::string* const none = new std::string();
  return stream_ != nullptr ? stream_->last_error() : *none;
}

void RecordSender::Send() {
  // The job's own log first, then the leader.
  WriteCopies();
  if (stream_ != nullptr) {
    CloseFrame();
    return;
  }
  if (packer_ == nullptr) return;
  packer_->Close();
  SendDatagrams();
}

void RecordSender::WriteCopies() {
  WriteRecordCopies(lines_);
  lines_.clear();
}

void RecordSender::SendDatagrams() {
  const int pending = packer_->ready();
  for (int i = 0; i < pending; ++i) {
    const std::string& datagram = packer_->datagram(i);
    iovecs_[i] = {const_cast<char*>(datagram.data()), datagram.size()};
    messages_[i] = {};
    messages_[i].msg_hdr.msg_iov = &iovecs_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
  }
  int offset = 0;
  while (offset < pending) {
    const int n =
        sendmmsg(socket_, messages_ + offset, pending - offset, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // This datagram is refused (no leader listening, buffer full): count
      // it and go on with the rest.
      const int error = errno;
      send_failed_.fetch_add(packer_->records(offset), std::memory_order_relaxed);
      if (!warned_send_failure_) {
        warned_send_failure_ = true;
        WarnOnStderr(absl::StrCat("cannot send to the leader at ", leader_text_, ": ",
                                  std::strerror(error), " (further failures are only counted)"));
      }
      ++offset;
      continue;
    }
    uint64_t records = 0;
    for (int i = offset; i < offset + n; ++i) records += packer_->records(i);
    sent_.fetch_add(records, std::memory_order_relaxed);
    offset += n;
  }
  packer_->Clear();
}

RecordSender::Counts RecordSender::counts() const {
  return {sent_.load(std::memory_order_relaxed), send_failed_.load(std::memory_order_relaxed),
          cut_.load(std::memory_order_relaxed), unacknowledged()};
}

uint64_t RecordSender::unacknowledged() const {
  const StreamClient* stream = stream_view_.load(std::memory_order_acquire);
  return stream != nullptr ? stream->unacknowledged() : 0;
}

uint64_t RecordSender::acknowledged() const {
  const StreamClient* stream = stream_view_.load(std::memory_order_acquire);
  return stream != nullptr ? stream->acknowledged() : 0;
}

void RecordSender::AfterFork() {
  stream_id_ = NewStreamId();  // the child's records are a stream of its own
  next_seq_ = 1;
  encoder_.Reset(context_);  // and its own pid
  frame_.clear();
  frame_records_ = 0;
  if (stream_ != nullptr) {
    // The parent's connection stays the parent's; the object is left as
    // the copy found it (stream_client.h).
    close(stream_->ForgetAfterFork());
    (void)stream_.release();
    stream_ = std::make_unique<StreamClient>(*stream_address_, stream_tls_, stream_id_,
                                             StreamClient::kDefaultBufferBytes);
    stream_view_.store(stream_.get(), std::memory_order_release);
    starting_.store(true, std::memory_order_release);
  }
  numbered_.store(0);
}

}  // namespace toil::rtlog::internal
