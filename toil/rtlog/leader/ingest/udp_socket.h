// Opening a bound UDP socket for receiving log records: the leader's server
// uses it, and so do the benchmarks and tests that need a receiving socket
// (or only a port).
#ifndef TOIL_RTLOG_LEADER_INGEST_UDP_SOCKET_H_
#define TOIL_RTLOG_LEADER_INGEST_UDP_SOCKET_H_

#include <string>

#include "absl/status/statusor.h"
#include "toil/rtlog/common/host_port.h"
#include "toil/rtlog/leader/ingest/ingest_options.h"

namespace toil::rtlog::internal {

struct UdpSocketOptions {
  ListenOptions listen;
  bool nonblocking = true;
  // SO_REUSEPORT: several sockets, each with this set, share the port; the
  // kernel hands each sender's datagrams (by address and port) to one of
  // them. ingest_bench measures it (--pipelines); the leader uses one socket.
  bool reuse_port = false;
};

struct BoundUdpSocket {
  int fd = -1;
  SocketAddress address;  // as bound, with the port chosen
};

// A close-on-exec UDP socket bound as asked, counting the datagrams the
// kernel drops for lack of buffer space (SO_RXQ_OVFL). The caller owns fd.
absl::StatusOr<BoundUdpSocket> BindUdpSocket(const UdpSocketOptions& options);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_INGEST_UDP_SOCKET_H_
