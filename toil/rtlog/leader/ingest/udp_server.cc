// The leader's UDP receive loop; see udp_server.h.
#include "toil/rtlog/leader/ingest/udp_server.h"

#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "toil/rtlog/base/fd_write.h"
#include "toil/rtlog/leader/ingest/udp_socket.h"
#include "toil/rtlog/wire/stream_frame.h"

namespace toil::rtlog::internal {
namespace {

constexpr int kBatch = 64;
// What one datagram is received into: as much as the ring takes at once.
constexpr size_t kMaxPayload = DatagramRing::kLargestDatagram;
// Between the two threads: a quarter of the socket's buffer, at most 8 MiB
// (about 16,000 typical records; the default 32 MiB socket buffer holds about
// 25,000, since the kernel keeps each datagram with more than a KiB of its own
// bookkeeping). A small socket buffer asked for means a small ring too.
constexpr size_t kMostRingBytes = 8 << 20;

size_t RingBytesFor(int receive_buffer_bytes) {
  return std::min(kMostRingBytes, static_cast<size_t>(std::max(receive_buffer_bytes, 0)) / 4);
}

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

void WriteStderrLine(absl::string_view line) { WriteToStderr(absl::StrCat(line, "\n")); }

}  // namespace

absl::StatusOr<std::unique_ptr<UdpServer>> UdpServer::Start(UdpServerOptions options,
                                                            Dispatcher* dispatcher) {
  if (!options.ingest.diagnostics) options.ingest.diagnostics = &WriteStderrLine;
  absl::StatusOr<std::unique_ptr<DatagramIngest>> ingest =
      DatagramIngest::Create(options.ingest, dispatcher);
  if (!ingest.ok()) return ingest.status();
  absl::StatusOr<BoundUdpSocket> bound =
      BindUdpSocket({options.listen, /*nonblocking=*/true, options.reuse_port});
  if (!bound.ok()) return bound.status();
  const int fd = bound->fd;
  const int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    close(fd);
    return Errno("cannot create an eventfd for the log server");
  }
  std::unique_ptr<UdpServer> server(new UdpServer(std::move(options), *std::move(ingest),
                                                  dispatcher, fd, wake_fd, bound->address));
  if (server->options_.stream) {
    if (absl::Status started = server->StartStream(); !started.ok()) return started;
  }
  server->processor_ = std::thread([s = server.get()] { s->Process(); });
  server->thread_ = std::thread([s = server.get()] { s->Receive(); });
  return server;
}

UdpServer::UdpServer(UdpServerOptions options, std::unique_ptr<DatagramIngest> ingest,
                     Dispatcher* dispatcher, int fd, int wake_fd, SocketAddress local_address)
    : options_(std::move(options)),
      ingest_(std::move(ingest)),
      dispatcher_(dispatcher),
      fd_(fd),
      wake_fd_(wake_fd),
      local_address_(local_address),
      ring_(RingBytesFor(options_.listen.receive_buffer_bytes)) {}

absl::Status UdpServer::StartStream() {
  if (options_.ingest.secret.empty()) {
    return absl::InvalidArgumentError("stream connections need the run's secret (authentication)");
  }
  absl::StatusOr<std::unique_ptr<StreamReceiver>> stream = StreamReceiver::Start(
      {.bind_host = options_.listen.bind_host.empty() ? "127.0.0.1" : options_.listen.bind_host,
       .port = local_address_.port(),
       .any_if_taken = options_.listen.port == 0,
       .secret = options_.ingest.secret,
       .max_connections = options_.max_stream_connections,
       .diagnostics = options_.ingest.diagnostics},
      &ring_);
  if (!stream.ok()) return stream.status();
  stream_ = *std::move(stream);
  return absl::OkStatus();
}

StreamReceiver::Counts UdpServer::stream_counts() const {
  return stream_ != nullptr ? stream_->counts() : StreamReceiver::Counts{};
}

UdpServer::~UdpServer() {
  Stop();
  close(fd_);
  close(wake_fd_);
}

void UdpServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // Frames not yet read are not acknowledged: their jobs send them again.
  if (stream_ != nullptr) stream_->StopReading();
  stopping_.store(true);
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  if (processor_.joinable()) processor_.join();
  if (stream_ != nullptr) stream_->Stop();  // the last acknowledgements go out
}

// The socket's running count of datagrams the kernel dropped. SO_RXQ_OVFL
// stamps each received datagram with the count at the time it was queued, so
// drops after the last queued datagram would go unseen until another one
// arrives; SO_MEMINFO reads the same counter as it is now.
void UdpServer::RefreshDropped() const {
  uint32_t meminfo[SK_MEMINFO_VARS] = {};
  socklen_t length = sizeof(meminfo);
  if (getsockopt(fd_, SOL_SOCKET, SO_MEMINFO, meminfo, &length) == 0 &&
      length > SK_MEMINFO_DROPS * sizeof(uint32_t)) {
    RaiseDropped(meminfo[SK_MEMINFO_DROPS]);
  }
}

void UdpServer::RaiseDropped(uint64_t dropped) const {
  uint64_t current = dropped_.load(std::memory_order_relaxed);
  while (dropped > current &&
         !dropped_.compare_exchange_weak(current, dropped, std::memory_order_relaxed)) {
  }
}

LogStats UdpServer::stats() const {
  RefreshDropped();
  LogStats stats = ingest_->stats();
  stats.datagrams = datagrams_.load();
  stats.dropped = dropped_.load();
  const StreamReceiver::Counts stream = stream_counts();
  stats.stream_connections = stream.accepted;
  stats.stream_refused = stream.over_limit + stream.failed_handshakes + stream.protocol_errors;
  stats.stream_cut_short = stream.cut_short;
  return stats;
}

// The receive thread: only receives, a batch per recvmmsg call, and copies
// the batch into the ring for the processing thread.
void UdpServer::Receive() {
  pthread_setname_np(pthread_self(), "rtlog-receive");
  std::unique_ptr<char[]> buffers(new char[kBatch * kMaxPayload]);
  std::vector<iovec> iovecs(kBatch);
  std::vector<mmsghdr> messages(kBatch);
  std::vector<sockaddr_storage> peers(kBatch);
  constexpr size_t kControl = CMSG_SPACE(sizeof(uint32_t));
  std::vector<char> controls(kBatch * kControl);

  pollfd polls[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  bool draining = false;
  bool more = false;  // the last call filled its batch: do not wait to call again
  while (true) {
    if (!draining && !more) {
      const int ready = poll(polls, 2, -1);
      if (ready < 0 && errno != EINTR) break;
    }
    if (stopping_.load()) draining = true;  // take what is queued, then stop
    for (int i = 0; i < kBatch; ++i) {
      iovecs[i] = {buffers.get() + i * kMaxPayload, kMaxPayload};
      messages[i].msg_hdr = {};
      messages[i].msg_hdr.msg_name = &peers[i];
      messages[i].msg_hdr.msg_namelen = sizeof(peers[i]);
      messages[i].msg_hdr.msg_iov = &iovecs[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_control = controls.data() + i * kControl;
      messages[i].msg_hdr.msg_controllen = kControl;
    }
    const int n = recvmmsg(fd_, messages.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        options_.ingest.diagnostics(absl::StrCat(
            "toil-rtlog: error: receiving on the log server's socket: ", std::strerror(errno)));
      }
      more = false;
      if (draining) break;
      continue;
    }
    datagrams_.fetch_add(n, std::memory_order_relaxed);
    std::lock_guard<std::mutex> writing(ring_.writer_mutex());
    for (int i = 0; i < n; ++i) {
      msghdr& header = messages[i].msg_hdr;
      CountKernelDrops(header);
      ring_.Write(buffers.get() + i * kMaxPayload, messages[i].msg_len,
                  (header.msg_flags & MSG_TRUNC) != 0, reinterpret_cast<sockaddr*>(&peers[i]),
                  header.msg_namelen);
    }
    ring_.Publish();
    more = n == kBatch;
  }
  ring_.Close();
}

// SO_RXQ_OVFL stamps each datagram with the socket's running count of drops.
void UdpServer::CountKernelDrops(msghdr& header) const {
  for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
      uint32_t dropped;
      std::memcpy(&dropped, CMSG_DATA(c), sizeof(dropped));
      RaiseDropped(dropped);
    }
  }
}

// The processing thread: hands every datagram in the ring to the ingest,
// flushes the sinks whenever it has caught up, and shows held-back counts at
// least once a second.
void UdpServer::Process() {
  pthread_setname_np(pthread_self(), "rtlog-process");
  while (true) {
    absl::Time now = absl::InfinitePast();
    const size_t taken =
        ring_.ReadAll(absl::Now() + absl::Seconds(1), [&](const DatagramRing::Datagram& d) {
          if (now == absl::InfinitePast()) now = absl::Now();
          Handle(d, now);
        });
    if (!acks_.empty()) Acknowledge();
    ingest_->Tick(absl::Now());
    if (taken == 0 && ring_.closed()) break;
    if (ring_.empty()) {
      dispatcher_->Flush();
      RefreshDropped();
    }
  }
  ingest_->Finish();
  dispatcher_->Flush();
}

void UdpServer::Handle(const DatagramRing::Datagram& datagram, absl::Time now) {
  // Most datagrams in a burst come from the same peer as the one before.
  if (datagram.peer_length != last_peer_length_ ||
      std::memcmp(datagram.peer, &last_peer_, datagram.peer_length) != 0) {
    std::memcpy(&last_peer_, datagram.peer, datagram.peer_length);
    last_peer_length_ = datagram.peer_length;
    last_sender_ = FromSockaddr(datagram.peer, datagram.peer_length).ToString();
  }
  if (datagram.stream.event != DatagramRing::StreamEvent::kNone) {
    HandleFrame(datagram, last_sender_, now);
  } else if (datagram.truncated) {
    ingest_->Refuse(last_sender_, "datagram larger than 64 KiB", now);
  } else {
    ingest_->Take(datagram.data, datagram.size, last_sender_, now);
  }
}

void UdpServer::Acknowledge() {
  dispatcher_->Flush();  // acknowledged: written, not only handed over
  for (const Ack& ack : acks_) stream_->Acknowledge(ack.connection, ack.number, ack.end);
  acks_.clear();
}

void UdpServer::HandleFrame(const DatagramRing::Datagram& frame, absl::string_view sender,
                            absl::Time now) {
  const DatagramRing::StreamOrigin& origin = frame.stream;
  const absl::string_view body(frame.data, frame.size);
  switch (origin.event) {
    case DatagramRing::StreamEvent::kHello:
      ingest_->StartStream(StreamIdOf(body), origin.number);
      return;
    case DatagramRing::StreamEvent::kRecords:
      ingest_->TakeStreamed(frame.data, frame.size, sender, now);
      acks_.push_back({origin.connection, origin.number, /*end=*/false});
      return;
    case DatagramRing::StreamEvent::kEnd:
      ingest_->EndStream(StreamIdOf(body), origin.number, now);
      acks_.push_back({origin.connection, origin.number, /*end=*/true});
      return;
    case DatagramRing::StreamEvent::kNone:
      return;
  }
}

}  // namespace toil::rtlog::internal
