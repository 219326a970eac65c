// The leader's stream transport thread; see stream_receiver.h.
#include "toil/rtlog/leader/ingest/stream_receiver.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "toil/rtlog/common/host_port.h"
#include "toil/rtlog/wire/stream_socket.h"

namespace toil::rtlog::internal {
namespace {

constexpr uint64_t kListenId = 0;
constexpr uint64_t kWakeId = 1;
constexpr int kBacklog = 4096;
// How long Stop() waits for the last acknowledgements to be written.
constexpr absl::Duration kStopFlush = absl::Seconds(1);
// After accept() ran out of descriptors, how long before trying again.
constexpr absl::Duration kAcceptPause = absl::Milliseconds(100);

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// A listening TCP socket on `host`:`port` (or any port, when that is taken
// and `any_if_taken`).
absl::StatusOr<int> Listen(const std::string& host, int port, bool any_if_taken) {
  absl::StatusOr<SocketAddress> address = Resolve(HostPort{host, port}, absl::Seconds(2));
  if (!address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot listen for stream connections on \"",
                                                   host, "\": ", address.status().message()));
  }
  const int fd = socket(address->family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("cannot create a TCP socket");
  const int one = 1;
  const int zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));  // a restart reuses the port
  if (address->family() == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  }
  int bound = bind(fd, address->get(), address->length);
  if (bound != 0 && errno == EADDRINUSE && any_if_taken && port != 0) {
    const SocketAddress any = *Resolve(HostPort{host, 0}, absl::Seconds(2));
    bound = bind(fd, any.get(), any.length);
  }
  if (bound != 0 || listen(fd, kBacklog) != 0) {
    const absl::Status status =
        Errno(absl::StrCat("cannot listen for stream connections on ", address->ToString()));
    close(fd);
    return status;
  }
  return fd;
}

int BoundPort(int fd) {
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  return FromSockaddr(reinterpret_cast<sockaddr*>(&bound), length).port();
}

// Peers that vanish (a machine that died, a cable pulled) are found within
// about two minutes; acknowledgements go out at once, and are sent again
// soon when lost (stream_socket.h).
void TuneAccepted(int fd) {
  const int one = 1;
  const int idle = 60;
  const int interval = 10;
  const int count = 6;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
  TuneStreamSocket(fd);
}

DatagramRing::StreamEvent EventOf(FrameType type) {
  switch (type) {
    case FrameType::kHello:
      return DatagramRing::StreamEvent::kHello;
    case FrameType::kEnd:
      return DatagramRing::StreamEvent::kEnd;
    default:
      return DatagramRing::StreamEvent::kRecords;
  }
}

}  // namespace

uint64_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

absl::StatusOr<std::unique_ptr<StreamReceiver>> StreamReceiver::Start(Options options,
                                                                      DatagramRing* ring) {
  absl::StatusOr<std::unique_ptr<StreamTlsContext>> tls =
      StreamTlsContext::Create(options.secret, StreamTlsContext::kServer);
  if (!tls.ok()) return tls.status();
  RaiseOpenFileLimit();
  absl::StatusOr<int> listen_fd = Listen(options.bind_host, options.port, options.any_if_taken);
  if (!listen_fd.ok()) return listen_fd.status();
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  const int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd < 0 || wake_fd < 0) {
    const absl::Status status = Errno("cannot set up the stream receiver");
    for (int fd : {*listen_fd, epoll_fd, wake_fd}) {
      if (fd >= 0) close(fd);
    }
    return status;
  }
  epoll_event listen_event{EPOLLIN, {.u64 = kListenId}};
  epoll_event wake_event{EPOLLIN, {.u64 = kWakeId}};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, *listen_fd, &listen_event);
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &wake_event);
  const int port = BoundPort(*listen_fd);
  std::unique_ptr<StreamReceiver> receiver(new StreamReceiver(
      std::move(options), ring, *std::move(tls), *listen_fd, epoll_fd, wake_fd, port));
  receiver->thread_ = std::thread([r = receiver.get()] { r->Run(); });
  return receiver;
}

StreamReceiver::StreamReceiver(Options options, DatagramRing* ring,
                               std::unique_ptr<StreamTlsContext> tls, int listen_fd, int epoll_fd,
                               int wake_fd, int port)
    : options_(std::move(options)),
      ring_(ring),
      tls_(std::move(tls)),
      listen_fd_(listen_fd),
      epoll_fd_(epoll_fd),
      wake_fd_(wake_fd),
      port_(port),
      next_id_(kWakeId + 1),
      refused_(options_.diagnostics, "stream connection refused", "stream connections refused"),
      broken_(options_.diagnostics, "stream connection closed for a protocol error",
              "stream connections closed for a protocol error"),
      over_limit_(options_.diagnostics, "stream connection over the limit closed",
                  "stream connections over the limit closed") {}

StreamReceiver::~StreamReceiver() {
  Stop();
  close(listen_fd_);
  close(epoll_fd_);
  close(wake_fd_);
}

void StreamReceiver::Acknowledge(uint64_t connection, uint64_t number, bool end) {
  {
    std::lock_guard<std::mutex> lock(acks_mu_);
    acks_.push_back({connection, number, end});
  }
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void StreamReceiver::StopReading() {
  stop_reading_.store(true);
  // A frame being written finishes first.
  std::lock_guard<std::mutex> wait_for_writer(ring_->writer_mutex());
}

void StreamReceiver::Stop() {
  if (stopped_) return;
  stopped_ = true;
  StopReading();
  stopping_.store(true);
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

StreamReceiver::Counts StreamReceiver::counts() const {
  return {accepted_.load(),
          open_count_.load(),
          over_limit_count_.load(),
          failed_handshakes_.load(),
          cut_short_.load(),
          protocol_errors_.load(),
          frames_.load()};
}

void StreamReceiver::Run() {
  pthread_setname_np(pthread_self(), "rtlog-stream");
  // A write to a connection its job closed must fail, not kill the leader.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  constexpr int kEvents = 64;
  epoll_event events[kEvents];
  absl::Time give_up = absl::InfiniteFuture();
  while (true) {
    const int n = epoll_wait(epoll_fd_, events, kEvents, 250);
    const absl::Time now = absl::Now();
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kListenId) {
        AcceptAll(now);
      } else if (id == kWakeId) {
        uint64_t count;
        (void)!read(wake_fd_, &count, sizeof(count));
      } else if (auto found = open_.find(id); found != open_.end()) {
        Serve(found->second, now);
      }
    }
    SendAcks(now);
    ExpireHandshakes(now);
    if (accept_paused_until_ != absl::InfinitePast() && now >= accept_paused_until_) {
      accept_paused_until_ = absl::InfinitePast();
      epoll_event listen_event{EPOLLIN, {.u64 = kListenId}};
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &listen_event);
    }
    for (RejectReporter* r : {&refused_, &broken_, &over_limit_}) r->Tick(now);
    if (stopping_.load()) {
      if (give_up == absl::InfiniteFuture()) give_up = now + kStopFlush;
      if (AllFlushed() || now >= give_up) break;
    }
  }
  for (RejectReporter* r : {&refused_, &broken_, &over_limit_}) r->FlushAll();
  open_.clear();
  open_count_.store(0);
}

void StreamReceiver::AcceptAll(absl::Time now) {
  while (true) {
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof(peer);
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_length,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: let the waiting ones wait a little.
        over_limit_.Report("this leader", std::strerror(errno), now);
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        accept_paused_until_ = now + kAcceptPause;
      }
      return;
    }
    accepted_.fetch_add(1, std::memory_order_relaxed);
    const sockaddr* peer_address = reinterpret_cast<sockaddr*>(&peer);
    if (open_.size() >= options_.max_connections && !CloseOldestHandshake(now)) {
      close(fd);
      over_limit_count_.fetch_add(1, std::memory_order_relaxed);
      over_limit_.Report(FromSockaddr(peer_address, peer_length).ToString(),
                         absl::StrCat(options_.max_connections, " connections are open"), now);
      continue;
    }
    Admit(fd, peer_address, peer_length, now);
  }
}

void StreamReceiver::Admit(int fd, const sockaddr* peer, socklen_t peer_length, absl::Time now) {
  SSL* ssl = SSL_new(tls_->get());
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    if (ssl != nullptr) SSL_free(ssl);
    close(fd);
    refused_.Report(FromSockaddr(peer, peer_length).ToString(), TlsError(), now);
    return;
  }
  TuneAccepted(fd);
  const uint64_t id = next_id_++;
  Open& open = open_[id];
  open.connection = std::make_unique<StreamConnection>(id, fd, ssl, peer, peer_length);
  open.events = EPOLLIN;
  epoll_event event{open.events, {.u64 = id}};
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  handshakes_.emplace_back(now + kHandshakeTimeout, id);
  open_count_.store(open_.size(), std::memory_order_relaxed);
}

void StreamReceiver::Serve(Open& open, absl::Time now) {
  std::unique_lock<std::mutex> writing(ring_->writer_mutex(), std::defer_lock);
  StreamConnection& connection = *open.connection;
  const StreamConnection::State state =
      connection.OnReady([&](const Frame& frame) { WriteFrame(connection, frame, writing); });
  if (writing.owns_lock()) {
    ring_->Publish();
    writing.unlock();
  }
  After(open, state, now);
}

void StreamReceiver::WriteFrame(const StreamConnection& connection, const Frame& frame,
                                std::unique_lock<std::mutex>& writing) {
  if (!writing.owns_lock()) writing.lock();
  // Stopping: not acknowledged, so the job sends it again to the next leader.
  if (stop_reading_.load()) return;
  const DatagramRing::StreamOrigin origin{EventOf(frame.type), connection.id(), frame.number};
  ring_->Write(frame.body.data(), frame.body.size(), /*truncated=*/false, connection.peer(),
               connection.peer_length(), &origin);
  frames_.fetch_add(1, std::memory_order_relaxed);
}

void StreamReceiver::After(Open& open, StreamConnection::State state, absl::Time now) {
  StreamConnection& connection = *open.connection;
  if (state == StreamConnection::State::kFailed) {
    if (connection.failed_in_handshake() && !connection.handshake_refused()) {
      cut_short_.fetch_add(1, std::memory_order_relaxed);  // its peer went: no refusal
    } else if (connection.failed_in_handshake()) {
      failed_handshakes_.fetch_add(1, std::memory_order_relaxed);
      refused_.Report(connection.peer_text(), connection.error(), now);
    } else {
      protocol_errors_.fetch_add(1, std::memory_order_relaxed);
      broken_.Report(connection.peer_text(), connection.error(), now);
    }
  }
  if (state != StreamConnection::State::kOpen) {
    Close(connection.id());
    return;
  }
  const uint32_t wanted = connection.wanted_events();
  if (wanted != open.events) {
    open.events = wanted;
    epoll_event event{wanted, {.u64 = connection.id()}};
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, connection.fd(), &event);
  }
}

void StreamReceiver::SendAcks(absl::Time now) {
  std::vector<Ack> acks;
  {
    std::lock_guard<std::mutex> lock(acks_mu_);
    acks.swap(acks_);
  }
  for (const Ack& ack : acks) {
    auto found = open_.find(ack.connection);
    if (found == open_.end()) continue;  // closed meanwhile: the job resends
    After(found->second, found->second.connection->QueueAck(ack.number, ack.end), now);
  }
}

StreamConnection* StreamReceiver::TakeOldestHandshake(absl::Time due_by) {
  while (!handshakes_.empty() && handshakes_.front().first <= due_by) {
    const uint64_t id = handshakes_.front().second;
    handshakes_.pop_front();
    auto found = open_.find(id);
    if (found != open_.end() && !found->second.connection->established()) {
      return found->second.connection.get();
    }
  }
  return nullptr;
}

void StreamReceiver::ExpireHandshakes(absl::Time now) {
  while (StreamConnection* late = TakeOldestHandshake(now)) {
    failed_handshakes_.fetch_add(1, std::memory_order_relaxed);
    refused_.Report(
        late->peer_text(),
        absl::StrCat("no TLS handshake within ", absl::FormatDuration(kHandshakeTimeout)), now);
    Close(late->id());
  }
}

bool StreamReceiver::CloseOldestHandshake(absl::Time now) {
  StreamConnection* oldest = TakeOldestHandshake(absl::InfiniteFuture());
  if (oldest == nullptr) return false;
  over_limit_count_.fetch_add(1, std::memory_order_relaxed);
  over_limit_.Report(oldest->peer_text(),
                     absl::StrCat(options_.max_connections,
                                  " connections are open: the oldest not through its "
                                  "handshake made room for a new one"),
                     now);
  Close(oldest->id());
  return true;
}

bool StreamReceiver::AllFlushed() const {
  for (const auto& [id, open] : open_) {
    if (!open.connection->flushed()) return false;
  }
  return true;
}

void StreamReceiver::Close(uint64_t id) {
  auto found = open_.find(id);
  if (found == open_.end()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, found->second.connection->fd(), nullptr);
  open_.erase(found);
  open_count_.store(open_.size(), std::memory_order_relaxed);
}

}  // namespace toil::rtlog::internal
