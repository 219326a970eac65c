// Parsing and resolving the `host:port` addresses of TOIL_RT_LOGGING_ADDRESS.
//
// IPv6 addresses are written in brackets, `[::1]:5000`, as in URLs. Parsing is
// strict so that a mistake gets a clear message instead of a silent failure.
#ifndef TOIL_RTLOG_COMMON_HOST_PORT_H_
#define TOIL_RTLOG_COMMON_HOST_PORT_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace toil::rtlog::internal {

struct HostPort {
  std::string host;  // without brackets
  int port = 0;

  // "host:port", or "[v6]:port" when the host contains a colon.
  std::string ToString() const;
};

// Parses "host:port" or "[ipv6]:port". The port must be 1-65535.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text);

// A resolved socket address.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int port() const;
  // "ip:port" or "[ip]:port".
  std::string ToString() const;
};

// Resolves a host and port to a UDP socket address. Numeric addresses resolve
// at once; a name is looked up with getaddrinfo, but no longer than `timeout`
// (a stalled DNS lookup must never hang a job).
absl::StatusOr<SocketAddress> Resolve(const HostPort& address, absl::Duration timeout);

// The address of a socket or peer, from getsockname/recvmsg.
SocketAddress FromSockaddr(const sockaddr* address, socklen_t length);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_COMMON_HOST_PORT_H_
