// The leader's UDP receive loop; see udp_server.h.
#include "toil/rtlog/internal/leader/udp_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "toil/rtlog/internal/common/fd_write.h"
#include "toil/rtlog/internal/wire/record_decoder.h"
#include "toil/rtlog/internal/leader/udp_socket.h"

namespace toil::rtlog::internal {
namespace {

constexpr int kBatch = 64;
// Large enough for any UDP payload, plus one byte to detect truncation.
constexpr size_t kMaxPayload = 65536;

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

void WriteStderrLine(absl::string_view line) {
  WriteToStderr(absl::StrCat(line, "\n"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<UdpServer>> UdpServer::Start(
    UdpServerOptions options, Dispatcher* dispatcher) {
  if (!options.diagnostics) options.diagnostics = &WriteStderrLine;
  absl::StatusOr<std::unique_ptr<DatagramIngest>> ingest = DatagramIngest::Create(
      {options.secret, options.allow_unsigned, options.diagnostics}, dispatcher);
  if (!ingest.ok()) return ingest.status();
  absl::StatusOr<BoundUdpSocket> bound = BindUdpSocket(
      {options.bind_host, options.port, options.receive_buffer_bytes});
  if (!bound.ok()) return bound.status();
  const int fd = bound->fd;
  const int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    close(fd);
    return Errno("cannot create an eventfd for the log server");
  }
  std::unique_ptr<UdpServer> server(
      new UdpServer(std::move(options), *std::move(ingest), dispatcher, fd,
                    wake_fd, bound->address));
  server->thread_ = std::thread([s = server.get()] { s->Run(); });
  return server;
}

UdpServer::UdpServer(UdpServerOptions options,
                     std::unique_ptr<DatagramIngest> ingest,
                     Dispatcher* dispatcher, int fd, int wake_fd,
                     SocketAddress local_address)
    : options_(std::move(options)),
      ingest_(std::move(ingest)),
      dispatcher_(dispatcher),
      fd_(fd),
      wake_fd_(wake_fd),
      local_address_(local_address) {}

UdpServer::~UdpServer() {
  Stop();
  close(fd_);
  close(wake_fd_);
}

void UdpServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
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
  return stats;
}

void UdpServer::Run() {
  const size_t slot = kMaxPayload + RecordDecoder::kPadding;
  std::vector<char> buffers(kBatch * slot);
  std::vector<iovec> iovecs(kBatch);
  std::vector<mmsghdr> messages(kBatch);
  std::vector<sockaddr_storage> peers(kBatch);
  constexpr size_t kControl = CMSG_SPACE(sizeof(uint32_t));
  std::vector<char> controls(kBatch * kControl);

  // Most datagrams in a burst come from the same peer as the one before.
  sockaddr_storage last_peer{};
  socklen_t last_peer_length = 0;
  std::string last_sender;

  pollfd polls[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  bool draining = false;
  while (true) {
    if (!draining) {
      // Wake at least once a second to show counts the rate limits held.
      const int ready = poll(polls, 2, 1000);
      if (ready < 0 && errno != EINTR) break;
      ingest_->Tick(absl::Now());
      if (stopping_.load()) draining = true;  // take what is queued, then stop
    }
    for (int i = 0; i < kBatch; ++i) {
      iovecs[i] = {buffers.data() + i * slot, kMaxPayload};
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
        options_.diagnostics(absl::StrCat(
            "toil-rtlog: error: receiving on the log server's socket: ",
            std::strerror(errno)));
      }
      dispatcher_->Flush();
      RefreshDropped();
      if (draining) break;
      continue;
    }
    datagrams_.fetch_add(n, std::memory_order_relaxed);
    const absl::Time now = absl::Now();
    for (int i = 0; i < n; ++i) {
      msghdr& header = messages[i].msg_hdr;
      for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr;
           c = CMSG_NXTHDR(&header, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
          uint32_t dropped;
          std::memcpy(&dropped, CMSG_DATA(c), sizeof(dropped));
          RaiseDropped(dropped);  // a running total for the socket
        }
      }
      if (header.msg_namelen != last_peer_length ||
          std::memcmp(&peers[i], &last_peer, header.msg_namelen) != 0) {
        last_peer = peers[i];
        last_peer_length = header.msg_namelen;
        last_sender = FromSockaddr(reinterpret_cast<sockaddr*>(&peers[i]),
                                   header.msg_namelen)
                          .ToString();
      }
      char* data = buffers.data() + i * slot;
      if (header.msg_flags & MSG_TRUNC) {
        ingest_->Refuse(last_sender, "datagram larger than 64 KiB", now);
      } else {
        ingest_->Take(data, messages[i].msg_len, last_sender, now);
      }
    }
    if (n < kBatch) dispatcher_->Flush();
  }
  ingest_->Finish();
  dispatcher_->Flush();
}

}  // namespace toil::rtlog::internal
