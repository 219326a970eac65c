// Parsing and resolving host:port addresses; see host_port.h.
#include "toil/rtlog/common/host_port.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace toil::rtlog::internal {
namespace {

absl::Status BadAddress(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("bad address \"", absl::CEscape(text), "\": ", why,
                                                 "; expected host:port, or [ipv6]:port"));
}

std::string JoinHostPort(absl::string_view host, int port) {
  if (host.find(':') != absl::string_view::npos) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

// getaddrinfo has no timeout of its own; it runs on a helper thread that is
// abandoned (it finishes on its own later) if it takes too long.
struct PendingLookup {
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  int error = 0;
  SocketAddress result;
};

void RunLookup(std::shared_ptr<PendingLookup> lookup, std::string host, std::string port,
               int flags) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = flags | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int error = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  SocketAddress address;
  if (error == 0) {
    address = FromSockaddr(found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);
  }
  std::lock_guard<std::mutex> lock(lookup->mu);
  lookup->error = error;
  lookup->result = address;
  lookup->done = true;
  lookup->done_cv.notify_all();
}

}  // namespace

std::string HostPort::ToString() const { return JoinHostPort(host, port); }

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text) {
  HostPort result;
  absl::string_view port_text;
  if (text.empty()) return BadAddress(text, "it is empty");
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) {
      return BadAddress(text, "'[' without a closing ']'");
    }
    result.host = std::string(text.substr(1, close - 1));
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      return BadAddress(text, "no ':port' after ']'");
    }
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) {
      return BadAddress(text, "no port");
    }
    if (text.find(':') != colon) {
      return BadAddress(text, "an IPv6 address must be in brackets");
    }
    result.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (result.host.empty()) return BadAddress(text, "no host");
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535 || port_text.front() == '+' ||
      port_text.front() == '-') {
    return BadAddress(text, "the port must be a number from 1 to 65535");
  }
  result.port = port;
  return result;
}

int SocketAddress::port() const {
  if (family() == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  }
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  }
  return 0;
}

std::string SocketAddress::ToString() const {
  char buffer[INET6_ADDRSTRLEN] = "?";
  if (family() == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &in->sin_addr, buffer, sizeof(buffer));
  } else if (family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    inet_ntop(AF_INET6, &in6->sin6_addr, buffer, sizeof(buffer));
  }
  return JoinHostPort(buffer, port());
}

SocketAddress FromSockaddr(const sockaddr* address, socklen_t length) {
  SocketAddress result;
  if (length > sizeof(result.storage)) length = sizeof(result.storage);
  std::memcpy(&result.storage, address, length);
  result.length = length;
  return result;
}

absl::StatusOr<SocketAddress> Resolve(const HostPort& address, absl::Duration timeout) {
  const std::string port = absl::StrCat(address.port);
  auto lookup = std::make_shared<PendingLookup>();
  // Numeric addresses (what leaders advertise) need no lookup at all.
  RunLookup(lookup, address.host, port, AI_NUMERICHOST);
  if (lookup->error == 0) return lookup->result;

  lookup = std::make_shared<PendingLookup>();
  std::thread(RunLookup, lookup, address.host, port, 0).detach();
  std::unique_lock<std::mutex> lock(lookup->mu);
  if (!lookup->done_cv.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                                [&] { return lookup->done; })) {
    return absl::DeadlineExceededError(absl::StrCat(
        "looking up \"", address.host, "\" took longer than ", absl::FormatDuration(timeout)));
  }
  if (lookup->error != 0) {
    return absl::NotFoundError(
        absl::StrCat("cannot resolve \"", address.host, "\": ", gai_strerror(lookup->error)));
  }
  return lookup->result;
}

}  // namespace toil::rtlog::internal
