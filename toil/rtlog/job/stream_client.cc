// A job's stream connection to its leader; see stream_client.h.
#include "toil/rtlog/job/stream_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "toil/rtlog/wire/stream_socket.h"

namespace toil::rtlog::internal {

StreamClient::StreamClient(SocketAddress leader, std::shared_ptr<StreamTlsContext> tls,
                           uint64_t stream_id, size_t buffer_bytes)
    : leader_(leader), tls_(std::move(tls)), stream_id_(stream_id), buffer_bytes_(buffer_bytes) {}

StreamClient::~StreamClient() {
  std::lock_guard<std::mutex> calls(OpenSslCalls());
  Close();
}

std::mutex& StreamClient::OpenSslCalls() {
  static std::mutex* const mu = new std::mutex();
  return *mu;
}

std::string StreamClient::NewFrame() {
  std::string frame;
  if (!spare_frames_.empty()) {
    frame = std::move(spare_frames_.back());
    spare_frames_.pop_back();
  }
  frame.reserve(kMaxFrame);  // whole at once: grown by doubling, it would take twice that
  frame.assign(kFrameHeader, '\0');
  return frame;
}

void StreamClient::Add(std::string frame, uint64_t first_seq, uint64_t last_seq, int count) {
  if (frames_.empty()) last_progress_ = absl::Now();  // the stall clock starts
  SetFrameHeader(FrameType::kRecords, last_seq, &frame);
  // A frame of a few records keeps only what they take: many of them kept
  // for a leader that is away would hold a whole frame's memory each.
  if (frame.capacity() > 2 * frame.size()) frame.shrink_to_fit();
  Kept kept{std::move(frame), first_seq, last_seq, count};
  kept_bytes_ += kept.frame.size();
  kept_records_.fetch_add(count, std::memory_order_relaxed);
  frames_.push_back(std::move(kept));
  last_added_ = last_seq;
}

bool StreamClient::busy() const {
  return !frames_.empty() || state_ == State::kConnecting || state_ == State::kHandshaking;
}

bool StreamClient::Step(absl::Time now) {
  switch (state_) {
    case State::kIdle:
      return now >= next_attempt_ && StartConnect(now);
    case State::kConnecting:
      return FinishConnect(now);
    case State::kHandshaking:
      return Handshake(now);
    case State::kConnected: {
      bool progressed = Read(now);
      if (state_ == State::kConnected) progressed |= Write(now);
      if (state_ == State::kConnected && !frames_.empty() && now - last_progress_ > kStallTimeout) {
        Disconnect(absl::StrCat("no acknowledgement for ", absl::FormatDuration(kStallTimeout)),
                   now);
        return true;
      }
      return progressed;
    }
  }
  return false;
}

bool StreamClient::StartConnect(absl::Time now) {
  fd_ = socket(leader_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    Disconnect(absl::StrCat("cannot create a socket: ", std::strerror(errno)), now);
    return true;
  }
  TuneStreamSocket(fd_);
  connect_deadline_ = now + kConnectTimeout;
  if (connect(fd_, leader_.get(), leader_.length) == 0) return StartHandshake(now);
  if (errno != EINPROGRESS) {
    Disconnect(std::strerror(errno), now, /*refused=*/true);
    return true;
  }
  state_ = State::kConnecting;
  return true;
}

bool StreamClient::FinishConnect(absl::Time now) {
  pollfd p{fd_, POLLOUT, 0};
  if (poll(&p, 1, 0) <= 0) {
    if (now < connect_deadline_) return false;
    Disconnect(absl::StrCat("no answer within ", absl::FormatDuration(kConnectTimeout)), now);
    return true;
  }
  int error = 0;
  socklen_t length = sizeof(error);
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) {
    Disconnect(std::strerror(error), now, /*refused=*/error != ETIMEDOUT);
    return true;
  }
  return StartHandshake(now);
}

bool StreamClient::StartHandshake(absl::Time now) {
  ssl_ = SSL_new(tls_->get());
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    Disconnect(absl::StrCat("cannot start TLS: ", TlsError()), now);
    return true;
  }
  state_ = State::kHandshaking;
  return true;
}

bool StreamClient::Handshake(absl::Time now) {
  const int result = SSL_connect(ssl_);
  if (result == 1) {
    state_ = State::kConnected;
    ever_connected_ = true;
    refused_ = false;
    retry_ = kFirstRetry;
    last_error_.clear();
    last_progress_ = now;
    QueueHello();
    return true;
  }
  if (SslWouldBlock(result)) {
    if (now < connect_deadline_) return false;
    Disconnect(absl::StrCat("no TLS handshake within ", absl::FormatDuration(kConnectTimeout)),
               now);
    return true;
  }
  // Refused only when TLS said no (another run's secret); a connection
  // closed or reset in the middle (a leader that gave up waiting on a lossy
  // network) is tried again.
  const bool refused = SSL_get_error(ssl_, result) == SSL_ERROR_SSL;
  Disconnect(SslFailure("the TLS handshake (is it this run's leader?)", result), now, refused);
  return true;
}

void StreamClient::QueueHello() {
  send_index_ = 0;
  send_offset_ = 0;
  control_.clear();
  control_sent_ = 0;
  const uint64_t next = frames_.empty() ? last_added_ + 1 : frames_.front().first_seq;
  AppendFrame(FrameType::kHello, next, StreamIdBody(stream_id_), &control_);
  if (end_queued_) AppendFrame(FrameType::kEnd, end_number_, StreamIdBody(stream_id_), &control_);
}

bool StreamClient::Write(absl::Time now) {
  bool progressed = false;
  while (state_ == State::kConnected) {
    absl::string_view pending;
    if (control_sent_ < control_.size()) {
      pending = absl::string_view(control_).substr(control_sent_);
    } else if (send_index_ < frames_.size()) {
      pending = absl::string_view(frames_[send_index_].frame).substr(send_offset_);
    } else {
      break;
    }
    const int n = SSL_write(ssl_, pending.data(), static_cast<int>(pending.size()));
    if (n <= 0) {
      if (!SslWouldBlock(n)) Disconnect(SslFailure("sending", n), now);
      return true;
    }
    progressed = true;
    want_write_ = false;
    if (control_sent_ < control_.size()) {
      control_sent_ += static_cast<size_t>(n);
    } else if ((send_offset_ += static_cast<size_t>(n)) == frames_[send_index_].frame.size()) {
      ++send_index_;
      send_offset_ = 0;
    }
  }
  return progressed;
}

bool StreamClient::Read(absl::Time now) {
  char buffer[4096];
  bool progressed = false;
  while (state_ == State::kConnected) {
    const int n = SSL_read(ssl_, buffer, sizeof(buffer));
    if (n <= 0) {
      if (SSL_get_error(ssl_, n) == SSL_ERROR_ZERO_RETURN) {
        Disconnect("the leader closed the connection", now);
        return true;
      }
      if (!SslWouldBlock(n)) {
        Disconnect(SslFailure("receiving", n), now);
        return true;
      }
      break;
    }
    progressed = true;
    reader_.Add(absl::string_view(buffer, static_cast<size_t>(n)));
    while (true) {
      absl::StatusOr<std::optional<Frame>> frame = reader_.Next();
      if (!frame.ok() || (frame->has_value() && (*frame)->type != FrameType::kAck)) {
        Disconnect("the leader sent something that is not an acknowledgement", now);
        return true;
      }
      if (!frame->has_value()) break;
      Acknowledged((*frame)->number, now);
    }
  }
  reader_.ReleaseIfEmpty();
  return progressed;
}

void StreamClient::Acknowledged(uint64_t number, absl::Time now) {
  if (end_queued_ && number >= end_number_ && frames_.empty()) end_acknowledged_ = true;
  uint64_t records = 0;
  while (!frames_.empty() && frames_.front().last_seq <= number) {
    kept_bytes_ -= frames_.front().frame.size();
    records += frames_.front().records;
    if (spare_frames_.size() < kSpareFrames)
      spare_frames_.push_back(std::move(frames_.front().frame));
    frames_.pop_front();
    if (send_index_ > 0) {
      --send_index_;
    } else {
      send_offset_ = 0;
    }
  }
  if (records > 0) kept_records_.fetch_sub(records, std::memory_order_relaxed);
  if (number > acknowledged_.load(std::memory_order_relaxed)) {
    acknowledged_.store(number, std::memory_order_relaxed);
  }
  last_progress_ = now;
}

bool StreamClient::End(uint64_t last_seq, absl::Time deadline) {
  Pump(deadline, [this] { return frames_.empty(); });
  if (!frames_.empty() || !ever_connected_) return false;
  end_queued_ = true;
  end_number_ = last_seq;
  if (state_ == State::kConnected) {
    AppendFrame(FrameType::kEnd, last_seq, StreamIdBody(stream_id_), &control_);
  }
  Pump(deadline, [this] { return end_acknowledged_; });
  std::lock_guard<std::mutex> calls(OpenSslCalls());
  if (ssl_ != nullptr && end_acknowledged_) SSL_shutdown(ssl_);
  Close();
  return end_acknowledged_;
}

void StreamClient::Disconnect(std::string why, absl::Time now, bool refused) {
  if (state_ != State::kConnected) ++failed_attempts_;
  Close();
  last_error_ = std::move(why);
  refused_ = refused;
  next_attempt_ = now + retry_;
  retry_ = std::min(retry_ * 2, kLastRetry);
}

void StreamClient::Close() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) close(fd_);
  ssl_ = nullptr;
  fd_ = -1;
  state_ = State::kIdle;
  want_write_ = false;
  reader_ = StreamFrameReader();
}

void StreamClient::WaitForSocket(absl::Time deadline) {
  const absl::Time now = absl::Now();
  absl::Time until = deadline;
  if (state_ == State::kIdle) {
    until = std::min(until, next_attempt_);
    if (until > now) absl::SleepFor(until - now);
    return;
  }
  short events = POLLIN;
  if (state_ == State::kConnecting || want_write_ || control_sent_ < control_.size() ||
      send_index_ < frames_.size()) {
    events |= POLLOUT;
  }
  if (state_ != State::kConnected) until = std::min(until, connect_deadline_);
  if (!frames_.empty()) until = std::min(until, last_progress_ + kStallTimeout);
  const int64_t ms = std::max<int64_t>(
      0, absl::ToInt64Milliseconds(absl::Ceil(until - now, absl::Milliseconds(1))));
  pollfd p{fd_, events, 0};
  poll(&p, 1, static_cast<int>(std::min<int64_t>(ms, 1000)));
}

bool StreamClient::SslWouldBlock(int result) {
  const int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_WRITE) want_write_ = true;
  return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE;
}

std::string StreamClient::SslFailure(absl::string_view doing, int result) {
  const int error = SSL_get_error(ssl_, result);
  const int saved_errno = errno;
  std::string why = TlsError();
  if (why.empty()) {
    why = error == SSL_ERROR_SYSCALL && saved_errno != 0 ? std::strerror(saved_errno)
                                                         : "the connection was closed";
  }
  return absl::StrCat(doing, ": ", why);
}

int StreamClient::ForgetAfterFork() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

}  // namespace toil::rtlog::internal
