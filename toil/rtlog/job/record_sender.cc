// The sender thread's work on each record; see record_sender.h.
#include "toil/rtlog/job/record_sender.h"

#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "toil/rtlog/base/environment.h"
#include "toil/rtlog/base/fd_write.h"
#include "toil/rtlog/common/line_format.h"
#include "toil/rtlog/job/futex.h"
#include "toil/rtlog/wire/datagram_fit.h"
#include "toil/rtlog/wire/record_encoder.h"

namespace toil::rtlog::internal {
namespace {

// How long a job may wait for its leader's host name to resolve.
constexpr absl::Duration kResolveTimeout = absl::Seconds(2);
// How often the sender tries again to reach a leader it could not.
constexpr int64_t kReconnectNanos = 1000 * 1000 * 1000;

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
  BuildRecord(queued, text, context_, &record_);
  LineFormatOptions options;
  options.show_sender = false;
  if (queued.original_size > text.size()) {
    // Cut when queued: the job's own log says so too.
    AppendRecordLine(record_, WithCutMarker(text, queued.original_size), options, &lines_);
  } else {
    AppendRecordLine(record_, text, options, &lines_);
  }
  if (!leader_address_) return;  // no leader: stderr only
  if (socket_ < 0 && !Reconnect()) {
    // Not sent, but numbered: the leader sees the gap too.
    ++next_seq_;
    send_failed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  record_.set_stream(stream_id_);
  record_.set_seq(next_seq_++);
  EncodeRecord(record_, &json_);
  const size_t limit = kMaxDatagramBytes - (auth_ != nullptr ? DatagramAuth::kTrailerBytes : 0);
  if (FitRecordToDatagram(&record_, &json_, limit, queued.original_size)) {
    cut_.fetch_add(1, std::memory_order_relaxed);
  }
  if (packer_->Add(json_)) SendDatagrams();
}

void RecordSender::Send() {
  // The job's own log first, then the leader.
  WriteToStderr(lines_);
  lines_.clear();
  if (packer_ == nullptr) return;
  packer_->Close();
  SendDatagrams();
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
          cut_.load(std::memory_order_relaxed)};
}

void RecordSender::AfterFork() {
  stream_id_ = NewStreamId();  // the child's records are a stream of its own
  next_seq_ = 1;
}

}  // namespace toil::rtlog::internal
