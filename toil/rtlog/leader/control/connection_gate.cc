// Control connections waiting for their token; see connection_gate.h.
#include "toil/rtlog/leader/control/connection_gate.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace toil::rtlog::internal {

ConnectionGate::~ConnectionGate() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Pending& pending : pending_) close(pending.watch);
}

void ConnectionGate::ShutDownLocked(const Pending& pending) {
  shutdown(pending.watch, SHUT_RDWR);
  close(pending.watch);
}

void ConnectionGate::Admit(int fd) {
  const int watch = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  std::lock_guard<std::mutex> lock(mu_);
  // A descriptor number that comes back was closed by gRPC: that connection
  // has ended, and the gate lets it go.
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->fd == fd) {
      ShutDownLocked(*it);
      pending_.erase(it);
      break;
    }
  }
  if (watch < 0) return;  // out of descriptors: gRPC's deadline will do
  while (pending_.size() >= options_.max_pending) {
    ShutDownLocked(pending_.front());
    pending_.pop_front();
    ++refused_;
  }
  pending_.push_back({fd, watch, absl::Now()});
}

void ConnectionGate::Authenticated(absl::string_view peer) {
  int fd = -1;
  if (!absl::ConsumePrefix(&peer, "fd:") || !absl::SimpleAtoi(peer, &fd)) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it =
      std::find_if(pending_.begin(), pending_.end(), [fd](const Pending& p) { return p.fd == fd; });
  if (it == pending_.end()) return;
  close(it->watch);  // the connection is gRPC's alone now
  pending_.erase(it);
}

absl::Duration ConnectionGate::Expire(absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  while (!pending_.empty() && now - pending_.front().admitted >= options_.deadline) {
    ShutDownLocked(pending_.front());
    pending_.pop_front();
    ++refused_;
  }
  if (pending_.empty()) return absl::InfiniteDuration();
  return pending_.front().admitted + options_.deadline - now;
}

uint64_t ConnectionGate::refused() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refused_;
}

size_t ConnectionGate::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

}  // namespace toil::rtlog::internal
