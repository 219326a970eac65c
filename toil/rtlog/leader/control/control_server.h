// ControlServer: a leader's control plane, the LogControl gRPC service of
// proto/log_control.proto, for `toil-rtlog tail`, `status`, `senders`,
// `level` and `stop` in other processes.
//
// By default it listens on a Unix domain socket in a new directory that only
// this user can open (mode 0700; the socket 0600). A TCP address is opt-in;
// every call must then carry the run's token ("authorization: Bearer
// <token>"), and one without it is refused with UNAUTHENTICATED.
//
// Ingest never waits for a viewer: Tail reads the RecordRing at its own pace
// and is told how many records it missed when it falls behind. Tail streams
// run on one thread of their own (TailPump); the other calls on gRPC's.
#ifndef TOIL_RTLOG_LEADER_CONTROL_CONTROL_SERVER_H_
#define TOIL_RTLOG_LEADER_CONTROL_CONTROL_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/base/log_stats.h"
#include "toil/rtlog/leader/control/record_ring.h"
#include "toil/rtlog/leader/ingest/sender_table.h"

namespace toil::rtlog::internal {

// What the control plane looks at and steers. The functions are called from
// gRPC's threads.
struct ControlTarget {
  std::string kind;     // "serve" or "workflow"
  std::string address;  // TOIL_RT_LOGGING_ADDRESS
  std::string key_id;   // "" without a secret
  bool allow_unsigned = false;
  absl::Time started;
  std::function<LogStats()> stats;
  std::function<Level()> level;
  // Changes the level for jobs that start from now on; an error says why not.
  std::function<absl::Status(Level)> set_level;
  // Stops the server (returns at once; the stop happens after); an error
  // says why not.
  std::function<absl::Status()> stop;
  const SenderTable* senders = nullptr;
  RecordRing* ring = nullptr;  // the viewers' records (the TailPump sets its waker)
};

class ControlServer {
 public:
  // `address`: "" for a Unix socket in a new private directory, or
  // "HOST:PORT" for TCP (port 0: any free one), which requires the token.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(const std::string& address,
                                                              ControlTarget target);
  // Shuts down (cancelling open Tail streams) and removes the socket and its
  // directory.
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // What clients connect to: "unix:/path" or "HOST:PORT".
  const std::string& target() const { return target_; }
  // The token TCP clients must send ("" for the Unix socket).
  const std::string& token() const { return token_; }

 private:
  struct Impl;
  explicit ControlServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string target_;
  std::string token_;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_CONTROL_CONTROL_SERVER_H_
