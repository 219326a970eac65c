// ControlListener: the control plane's listening socket, a Unix socket in a
// new directory only this user can open (mode 0700, the socket 0600), or a
// numeric TCP HOST:PORT. It accepts each connection itself, on a thread of
// its own, so that it can make the connection fit for viewers before gRPC
// takes it over (grpc::AddInsecureChannelFromFd):
// - a send buffer that holds a whole Tail message (up to the system's
//   net.core.wmem_max), so that the TailPump writes each message in one
//   call instead of waking up again as the viewer drains the socket;
// - on a Unix socket, the peer's user checked (SO_PEERCRED): only this user
//   (or root) is served, whatever the file modes;
// - on TCP, no Nagle delay (TCP_NODELAY), and the connection admitted to a
//   ConnectionGate, which shuts it down unless it authenticates in time.
//
//   auto listener = ControlListener::Listen("");   // or "127.0.0.1:0"
//   server = builder.BuildAndStart();              // no listening port of its own
//   listener->Start(server.get());
//   ... (*listener)->target() is what clients connect to
//   listener.reset();                              // before the server shuts down
#ifndef TOIL_RTLOG_LEADER_CONTROL_CONTROL_LISTENER_H_
#define TOIL_RTLOG_LEADER_CONTROL_CONTROL_LISTENER_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "toil/rtlog/leader/control/connection_gate.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace toil::rtlog::internal {

class ControlListener {
 public:
  // The send buffer asked for each Unix connection (the kernel caps it at
  // net.core.wmem_max, and doubles it): room for a few of the TailPump's
  // 1 MiB messages, so that a viewer a message or two behind still gets the
  // next in one write (control_bench: with 2 MiB, gRPC's executor threads
  // wrote the rest of many messages later, costing the leader 0.2-0.3 us a
  // record with 3 viewers). A viewer that stops reading holds up to twice
  // this of the kernel's memory.
  static constexpr int kSendBufferBytes = 4 << 20;

  // `address`: "" for a Unix socket in a new private directory, or a
  // numeric "HOST:PORT" (port 0: any free one).
  static absl::StatusOr<std::unique_ptr<ControlListener>> Listen(const std::string& address);
  // Stops accepting, closes the socket, and removes the socket file and its
  // directory.
  ~ControlListener();
  ControlListener(const ControlListener&) = delete;
  ControlListener& operator=(const ControlListener&) = delete;

  // Starts accepting connections for `server`; TCP connections are admitted
  // to `gate` (which must outlive the listener; null: none).
  void Start(grpc::Server* server, ConnectionGate* gate = nullptr);

  // What clients connect to: "unix:/path" or "HOST:PORT" (the real port).
  const std::string& target() const { return target_; }
  bool is_unix() const { return !socket_path_.empty(); }
  // Connections refused because their peer was another user.
  size_t strangers() const { return strangers_; }

 private:
  ControlListener(int fd, int wake_fd, std::string target, std::string socket_path,
                  std::string directory);
  void Accept(grpc::Server* server, ConnectionGate* gate);
  // Whether the connection may be served; sets its options.
  bool Prepare(int fd);

  const int fd_;
  const int wake_fd_;  // an eventfd that ends Accept
  const std::string target_;
  const std::string socket_path_;  // "" for TCP
  const std::string directory_;
  std::atomic<size_t> strangers_{0};
  std::thread thread_;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_CONTROL_CONTROL_LISTENER_H_
