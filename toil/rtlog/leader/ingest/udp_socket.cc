// Bound UDP sockets; see udp_socket.h.
#include "toil/rtlog/leader/ingest/udp_socket.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace toil::rtlog::internal {

absl::StatusOr<BoundUdpSocket> BindUdpSocket(const UdpSocketOptions& options) {
  const std::string host =
      options.listen.bind_host.empty() ? "127.0.0.1" : options.listen.bind_host;
  absl::StatusOr<SocketAddress> address =
      Resolve(HostPort{host, options.listen.port}, absl::Seconds(2));
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot bind the log server to \"", host, "\": ", address.status().message()));
  }
  const int fd = socket(address->family(),
                        SOCK_DGRAM | SOCK_CLOEXEC | (options.nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create a UDP socket: ", std::strerror(errno)));
  }
  const int one = 1;
  const int zero = 0;
  if (address->family() == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  }
  setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
  if (options.reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  const int buffer = options.listen.receive_buffer_bytes;
  if (buffer > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof(buffer)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  }
  if (bind(fd, address->get(), address->length) != 0) {
    const absl::Status status = absl::UnavailableError(absl::StrCat(
        "cannot bind the log server to ", address->ToString(), ": ", std::strerror(errno)));
    close(fd);
    return status;
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  return BoundUdpSocket{fd, FromSockaddr(reinterpret_cast<sockaddr*>(&bound), bound_length)};
}

}  // namespace toil::rtlog::internal
