// UdpServer: the leader's receiving end. One POSIX UDP socket and two
// threads, pipelined: the receive thread only receives, datagrams in batches
// (recvmmsg), copied into a ring allocated at start (DatagramRing); the
// processing thread hands each datagram to a DatagramIngest (authentication, decoding,
// loss detection, dispatch). With two cores, the kernel's cost of receiving
// and the leader's own work per record run side by side.
//
// With `stream`, it also takes C++ jobs' stream connections (TCP and TLS,
// acknowledged: stream_receiver.h), whose frames join the datagrams in the
// same ring and are handled by the same processing thread, which
// acknowledges each frame once its records are handed to the sinks and the
// sinks flushed (after each batch taken from the ring).
//
// Datagrams the kernel dropped because the socket's buffer was full are
// counted exactly, from SO_RXQ_OVFL and SO_MEMINFO. Stop() receives what is
// already queued before it returns, so records sent by jobs that have
// finished are not lost.
#ifndef TOIL_RTLOG_LEADER_INGEST_UDP_SERVER_H_
#define TOIL_RTLOG_LEADER_INGEST_UDP_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "toil/rtlog/common/host_port.h"
#include "toil/rtlog/leader/ingest/datagram_ingest.h"
#include "toil/rtlog/leader/ingest/datagram_ring.h"
#include "toil/rtlog/leader/ingest/dispatcher.h"
#include "toil/rtlog/leader/ingest/stream_receiver.h"

namespace toil::rtlog::internal {

struct UdpServerOptions {
  // Where it listens; the ring between the server's two threads is a
  // quarter of the receive buffer, at most 8 MiB.
  ListenOptions listen;
  // What it does with each datagram (datagram_ingest.h).
  IngestOptions ingest;
  // Share the port with other servers that set it (SO_REUSEPORT; see
  // udp_socket.h). Only ingest_bench does, to measure it.
  bool reuse_port = false;
  // Also accept stream connections, on TCP at the UDP port's number (any
  // port when that is taken and the port was not chosen). Needs a secret.
  bool stream = false;
  size_t max_stream_connections = StreamReceiver::kDefaultMaxConnections;
};

class UdpServer {
 public:
  static absl::StatusOr<std::unique_ptr<UdpServer>> Start(UdpServerOptions options,
                                                          Dispatcher* dispatcher);
  ~UdpServer();
  UdpServer(const UdpServer&) = delete;
  UdpServer& operator=(const UdpServer&) = delete;

  // Receives what is queued, stops the thread and joins it. Idempotent.
  void Stop();

  // The bound address (with the port chosen when port was 0).
  const SocketAddress& local_address() const { return local_address_; }
  // The TCP port stream connections are taken on; 0: none.
  int stream_port() const { return stream_ != nullptr ? stream_->port() : 0; }
  // The stream receiver's counts (zero without one).
  StreamReceiver::Counts stream_counts() const;
  // The ingest's counts, with the datagrams received and those the kernel
  // dropped.
  LogStats stats() const;
  // Who sent what; valid as long as the server.
  const SenderTable& senders() const { return ingest_->senders(); }

 private:
  UdpServer(UdpServerOptions options, std::unique_ptr<DatagramIngest> ingest,
            Dispatcher* dispatcher, int fd, int wake_fd, SocketAddress local_address);
  void Receive();
  void Process();
  void Handle(const DatagramRing::Datagram& datagram, absl::Time now);
  // A frame from a stream connection: taken in, then acknowledged.
  void HandleFrame(const DatagramRing::Datagram& frame, absl::string_view sender, absl::Time now);
  // Starts the stream receiver (after the UDP socket is bound).
  absl::Status StartStream();
  // Flushes the sinks, then sends the acknowledgements of the frames taken.
  void Acknowledge();
  void CountKernelDrops(msghdr& header) const;
  void RefreshDropped() const;
  void RaiseDropped(uint64_t dropped) const;

  UdpServerOptions options_;
  std::unique_ptr<DatagramIngest> ingest_;
  Dispatcher* dispatcher_;
  int fd_;
  int wake_fd_;
  SocketAddress local_address_;
  DatagramRing ring_;
  std::unique_ptr<StreamReceiver> stream_;
  std::thread thread_;     // receives
  std::thread processor_;  // processes
  // The processing thread's: the last datagram's peer, and its name.
  sockaddr_storage last_peer_{};
  socklen_t last_peer_length_ = 0;
  std::string last_sender_;
  struct Ack {
    uint64_t connection;
    uint64_t number;
    bool end;
  };
  std::vector<Ack> acks_;  // of the frames taken since the last flush
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;

  std::atomic<uint64_t> datagrams_{0};
  mutable std::atomic<uint64_t> dropped_{0};
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_INGEST_UDP_SERVER_H_
