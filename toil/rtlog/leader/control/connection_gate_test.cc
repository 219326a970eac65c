// Tests of the gate for control connections that have not authenticated,
// with real connected sockets: the gate's shutdown is seen by the peer.
#include "toil/rtlog/leader/control/connection_gate.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace toil::rtlog::internal {
namespace {

// A connected pair: `leader` (what the gate watches) and `client`.
struct Connection {
  Connection() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    leader = fds[0];
    client = fds[1];
  }
  ~Connection() {
    close(leader);
    close(client);
  }
  // Whether the client sees the leader's end shut down.
  bool ShutDown() const {
    pollfd p = {client, POLLIN, 0};
    char byte;
    return poll(&p, 1, 0) == 1 && read(client, &byte, 1) == 0;
  }
  int leader;
  int client;
};

TEST(ConnectionGateTest, PastItsDeadlineAConnectionIsShutDown) {
  ConnectionGate gate({.deadline = absl::Seconds(5), .max_pending = 8});
  Connection a;
  gate.Admit(a.leader);
  const absl::Time now = absl::Now();
  EXPECT_GT(gate.Expire(now), absl::Seconds(4));
  EXPECT_FALSE(a.ShutDown());
  EXPECT_EQ(gate.Expire(now + absl::Seconds(6)), absl::InfiniteDuration());
  EXPECT_TRUE(a.ShutDown());
  EXPECT_EQ(gate.refused(), 1u);
}

TEST(ConnectionGateTest, AnAuthenticatedConnectionIsLetThrough) {
  ConnectionGate gate({.deadline = absl::Seconds(5), .max_pending = 8});
  Connection a;
  gate.Admit(a.leader);
  gate.Authenticated("ipv4:127.0.0.1:5");  // not a connection of the gate's
  EXPECT_EQ(gate.pending(), 1u);
  gate.Authenticated(absl::StrCat("fd:", a.leader));
  EXPECT_EQ(gate.pending(), 0u);
  gate.Expire(absl::Now() + absl::Hours(1));
  EXPECT_FALSE(a.ShutDown());
  EXPECT_EQ(gate.refused(), 0u);
}

TEST(ConnectionGateTest, TheOldestWaitingMakesRoomForANewOne) {
  ConnectionGate gate({.deadline = absl::Seconds(5), .max_pending = 2});
  Connection a, b, c;
  gate.Admit(a.leader);
  gate.Admit(b.leader);
  gate.Admit(c.leader);
  EXPECT_TRUE(a.ShutDown());
  EXPECT_FALSE(b.ShutDown());
  EXPECT_FALSE(c.ShutDown());
  EXPECT_EQ(gate.pending(), 2u);
  EXPECT_EQ(gate.refused(), 1u);
}

}  // namespace
}  // namespace toil::rtlog::internal
