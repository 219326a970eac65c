// Choosing the host jobs are told to send to; see advertised_host.h.
#include "toil/rtlog/leader/advertised_host.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "toil/rtlog/common/host_port.h"
#include "toil/rtlog/common/process_info.h"

namespace toil::rtlog::internal {
namespace {

// The IP address of an interface, without the port or brackets.
std::string AddressText(const sockaddr* address) {
  const socklen_t length =
      address->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  const std::string text = FromSockaddr(address, length).ToString();
  // ToString gives "ip:0" or "[ip]:0".
  const std::string host = text.substr(0, text.rfind(':'));
  return address->sa_family == AF_INET ? host : host.substr(1, host.size() - 2);
}

std::string FirstNonLoopbackAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return HostName();
  std::string v4;
  std::string v6;
  for (ifaddrs* i = list; i != nullptr && v4.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK)) {
      continue;
    }
    if (i->ifa_addr->sa_family == AF_INET) {
      v4 = AddressText(i->ifa_addr);
    } else if (i->ifa_addr->sa_family == AF_INET6 && v6.empty() &&
               !IN6_IS_ADDR_LINKLOCAL(
                   &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr)) {
      v6 = AddressText(i->ifa_addr);
    }
  }
  freeifaddrs(list);
  if (!v4.empty()) return v4;
  return v6.empty() ? HostName() : v6;
}

}  // namespace

std::string RouteSourceAddress(const std::string& host) {
  absl::StatusOr<SocketAddress> target = Resolve({host, 9}, absl::Seconds(2));
  if (!target.ok()) return "";
  // Connecting a UDP socket sends nothing; it only picks the route.
  const int fd = socket(target->family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  const bool found = connect(fd, target->get(), target->length) == 0 &&
                     getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0;
  close(fd);
  return found ? AddressText(reinterpret_cast<const sockaddr*>(&local)) : "";
}

bool IsWildcardHost(const std::string& host) {
  return host == "0.0.0.0" || host == "::" || host.empty();
}

std::string AdvertisedHost(const std::string& bind_host,
                           const std::optional<std::string>& advertise,
                           const std::optional<std::string>& toward) {
  if (advertise) return *advertise;
  if (!IsWildcardHost(bind_host)) return bind_host;
  if (toward) {
    const std::string route = RouteSourceAddress(*toward);
    if (!route.empty()) return route;
  }
  return FirstNonLoopbackAddress();
}

}  // namespace toil::rtlog::internal
