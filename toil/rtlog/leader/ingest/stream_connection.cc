// One job's stream connection on the leader; see stream_connection.h.
#include "toil/rtlog/leader/ingest/stream_connection.h"

#include <openssl/err.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "toil/rtlog/common/host_port.h"
#include "toil/rtlog/wire/stream_tls.h"

namespace toil::rtlog::internal {
namespace {

// Read at most this much per readiness, so one busy job cannot keep the
// thread from the others (epoll says again that the rest is there).
constexpr size_t kReadPerTurn = 256 << 10;
constexpr size_t kChunk = 16 << 10;

}  // namespace

StreamConnection::StreamConnection(uint64_t id, int fd, SSL* ssl, const sockaddr* peer,
                                   socklen_t peer_length)
    : id_(id), fd_(fd), ssl_(ssl), peer_length_(std::min<socklen_t>(peer_length, sizeof(peer_))) {
  std::memcpy(&peer_, peer, peer_length_);
  peer_text_ = FromSockaddr(this->peer(), peer_length_).ToString();
}

StreamConnection::~StreamConnection() {
  SSL_free(ssl_);
  close(fd_);
}

uint32_t StreamConnection::wanted_events() const {
  uint32_t events = 0;
  if (!ended_) events |= EPOLLIN;
  if (want_write_ || !flushed()) events |= EPOLLOUT;
  return events;
}

StreamConnection::State StreamConnection::OnReady(const FrameSink& sink) {
  if (!established_) {
    const State state = Handshake();
    if (state != State::kOpen || !established_) return state;
  }
  if (!ended_) {
    const State state = Read(sink);
    if (state != State::kOpen) return state;
  }
  return Write();
}

StreamConnection::State StreamConnection::QueueAck(uint64_t number, bool end) {
  if (closing_) return State::kOpen;
  // The latest acknowledgement says all the earlier ones did: one not begun
  // yet is replaced, so a job that does not read costs no memory here.
  if (sent_ == 0 && !want_write_) out_.clear();
  AppendFrame(FrameType::kAck, number, "", &out_);
  closing_ = end;
  if (!established_) return State::kOpen;
  return Write();
}

StreamConnection::State StreamConnection::Handshake() {
  const int result = SSL_accept(ssl_);
  if (result == 1) {
    established_ = true;
    return State::kOpen;
  }
  const bool refused = SSL_get_error(ssl_, result) == SSL_ERROR_SSL;
  const State state = Wait(result, "the TLS handshake");
  if (state == State::kFailed) {
    failed_in_handshake_ = true;
    handshake_refused_ = refused;
  }
  return state;
}

StreamConnection::State StreamConnection::Read(const FrameSink& sink) {
  char buffer[kChunk];
  size_t taken = 0;
  while (taken < kReadPerTurn && !ended_) {
    const int n = SSL_read(ssl_, buffer, sizeof(buffer));
    if (n <= 0) {
      if (SSL_get_error(ssl_, n) == SSL_ERROR_ZERO_RETURN) return State::kDone;
      const State state = Wait(n, "reading");
      if (state != State::kOpen) return state;
      break;
    }
    taken += static_cast<size_t>(n);
    reader_.Add(absl::string_view(buffer, static_cast<size_t>(n)));
    const State state = TakeFrames(sink);
    if (state != State::kOpen) return state;
  }
  reader_.ReleaseIfEmpty();
  return State::kOpen;
}

StreamConnection::State StreamConnection::TakeFrames(const FrameSink& sink) {
  while (!ended_) {
    absl::StatusOr<std::optional<Frame>> frame = reader_.Next();
    if (!frame.ok()) return Fail(std::string(frame.status().message()));
    if (!frame->has_value()) break;
    const Frame& f = **frame;
    if (f.type == FrameType::kAck) return Fail("a job sent an acknowledgement");
    if (f.type == FrameType::kHello) {
      if (hello_seen_) return Fail("a second hello");
      hello_seen_ = true;
    } else if (!hello_seen_) {
      return Fail("records before the hello");
    }
    if (f.type == FrameType::kEnd) ended_ = true;
    sink(f);
  }
  return State::kOpen;
}

StreamConnection::State StreamConnection::Write() {
  while (!flushed()) {
    const size_t size = std::min<size_t>(out_.size() - sent_, 1 << 30);
    const int n = SSL_write(ssl_, out_.data() + sent_, static_cast<int>(size));
    if (n <= 0) {
      const State state = Wait(n, "writing");
      return state;
    }
    want_write_ = false;
    sent_ += static_cast<size_t>(n);
  }
  out_.clear();
  sent_ = 0;
  if (closing_) {
    SSL_shutdown(ssl_);  // says so; the job closes its end
    return State::kDone;
  }
  return State::kOpen;
}

StreamConnection::State StreamConnection::Wait(int result, const char* doing) {
  const int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ) return State::kOpen;
  if (error == SSL_ERROR_WANT_WRITE) {
    want_write_ = true;
    return State::kOpen;
  }
  const int saved_errno = errno;
  std::string why = TlsError();
  if (why.empty()) {
    why = error == SSL_ERROR_SYSCALL && saved_errno != 0 ? std::strerror(saved_errno)
                                                         : "the peer closed the connection";
  }
  return Fail(absl::StrCat(doing, ": ", why));
}

StreamConnection::State StreamConnection::Fail(std::string error) {
  error_ = std::move(error);
  return State::kFailed;
}

}  // namespace toil::rtlog::internal
