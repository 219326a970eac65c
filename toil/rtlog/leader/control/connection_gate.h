// ConnectionGate: the TCP control connections that have not yet made a call
// with the run's token. Anyone who can reach a TCP control address can
// connect; without the gate, connections that never authenticate would stay
// open for ever and could take every descriptor the leader has.
//
// The listener admits each TCP connection it hands to gRPC; the gate keeps a
// duplicate of its descriptor. The first call on it that carries the token
// (ControlService) lets it through: the gate forgets it. One that has not
// authenticated within `deadline` is shut down (gRPC then sees it end and
// frees it), and at most `max_pending` wait at once: admitting one more
// shuts down the oldest. So a flood of idle connections costs the leader at
// most 2 x max_pending descriptors, and a real client, which authenticates
// in its first call, is not starved.
//
//   ConnectionGate gate({});
//   gate.Admit(fd);                    // listener, before gRPC takes fd
//   gate.Authenticated(context.peer()); // service, on a call with the token
//   absl::Duration next = gate.Expire(absl::Now());  // listener, when polled
#ifndef TOIL_RTLOG_LEADER_CONTROL_CONNECTION_GATE_H_
#define TOIL_RTLOG_LEADER_CONTROL_CONNECTION_GATE_H_

#include <cstdint>
#include <deque>
#include <mutex>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace toil::rtlog::internal {

struct ConnectionGateOptions {
  absl::Duration deadline = absl::Seconds(5);
  size_t max_pending = 64;
};

class ConnectionGate {
 public:
  explicit ConnectionGate(ConnectionGateOptions options) : options_(options) {}
  // Closes what it still holds (the connections stay gRPC's).
  ~ConnectionGate();
  ConnectionGate(const ConnectionGate&) = delete;
  ConnectionGate& operator=(const ConnectionGate&) = delete;

  // A new connection on descriptor `fd`, about to be handed to gRPC.
  void Admit(int fd);
  // A call that carried the token came from `peer` (gRPC's peer string of
  // a connection handed over by descriptor: "fd:N").
  void Authenticated(absl::string_view peer);
  // Shuts down the connections past their deadline; returns how long until
  // the next deadline (infinite when none waits).
  absl::Duration Expire(absl::Time now);

  // Connections shut down for not authenticating (in time, or at all).
  uint64_t refused() const;
  size_t pending() const;

 private:
  struct Pending {
    int fd;     // gRPC's descriptor (its number names the connection)
    int watch;  // the gate's duplicate of it
    absl::Time admitted;
  };
  void ShutDownLocked(const Pending& pending);

  const ConnectionGateOptions options_;
  mutable std::mutex mu_;
  std::deque<Pending> pending_;  // oldest first
  uint64_t refused_ = 0;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_CONTROL_CONNECTION_GATE_H_
