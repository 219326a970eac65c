// StreamReceiver: the leader's end of the stream transport (stream_frame.h,
// stream_tls.h), by which C++ jobs deliver records with acknowledgements.
//
// One thread and one epoll set. It accepts TCP connections, runs each one's
// TLS handshake (the run's secret as the pre-shared key), reads its frames,
// and writes each one (kHello, kRecords, kEnd) into the DatagramRing the UDP
// receive thread also writes to, marked with its connection. The processing
// thread takes frames and datagrams in the order they came, and calls
// Acknowledge() once a frame's records are handed to the sinks; this thread
// then sends the acknowledgement, and closes the connection after the one of
// a kEnd. A full ring makes this thread wait, so TCP's own flow control
// slows the jobs down: nothing is dropped here.
//
// Hostile or broken peers cost bounded memory and leave the real jobs
// served: at most max_connections connections (past that, a new one closes
// the oldest still in its handshake, or is itself closed when every one is
// through; both counted), so that peers that connect and say nothing cannot
// keep jobs out; a handshake has kHandshakeTimeout; a connection holds at most
// one frame being read (64 KiB) and the acknowledgements not yet sent; TCP
// keepalive finds peers that vanished; anything that is not frames closes
// the connection. Refusals are reported at most once a second per peer.
//
//   auto receiver = StreamReceiver::Start(options, &ring);
//   ... processing thread: receiver->Acknowledge(connection, number, end);
//   receiver->StopReading();  ...drain the ring...  receiver->Stop();
#ifndef TOIL_RTLOG_LEADER_INGEST_STREAM_RECEIVER_H_
#define TOIL_RTLOG_LEADER_INGEST_STREAM_RECEIVER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "toil/rtlog/leader/ingest/datagram_ring.h"
#include "toil/rtlog/leader/ingest/reject_reporter.h"
#include "toil/rtlog/leader/ingest/stream_connection.h"
#include "toil/rtlog/wire/stream_tls.h"

namespace toil::rtlog::internal {

class StreamReceiver {
 public:
  // Longer than a job's own wait for it (5 s), so that on a slow or lossy
  // network the job gives up first, and tries again.
  static constexpr absl::Duration kHandshakeTimeout = absl::Seconds(10);
  static constexpr size_t kDefaultMaxConnections = 4096;

  struct Options {
    std::string bind_host;  // numeric, as the UDP socket's
    // The port to listen on; 0: any. With `any_if_taken`, a taken port
    // falls back to any (the UDP port's number is tried first).
    int port = 0;
    bool any_if_taken = false;
    std::string secret;  // the run's: the TLS pre-shared key
    size_t max_connections = kDefaultMaxConnections;
    std::function<void(absl::string_view line)> diagnostics;
  };
  struct Counts {
    uint64_t accepted = 0;
    uint64_t open = 0;
    uint64_t over_limit = 0;         // closed at once: too many open
    uint64_t failed_handshakes = 0;  // not the run's secret, or too slow
    uint64_t cut_short = 0;          // closed by their peer before the handshake ended
    uint64_t protocol_errors = 0;    // not frames
    uint64_t frames = 0;
  };

  // Listens and starts the thread. Fails when the address cannot be bound
  // or the secret is not one.
  static absl::StatusOr<std::unique_ptr<StreamReceiver>> Start(Options options, DatagramRing* ring);
  ~StreamReceiver();
  StreamReceiver(const StreamReceiver&) = delete;
  StreamReceiver& operator=(const StreamReceiver&) = delete;

  int port() const { return port_; }
  // Any thread: every record of `connection` up to `number` is taken in
  // (`end`: its last, so close it once that is said).
  void Acknowledge(uint64_t connection, uint64_t number, bool end);
  // No frame is written into the ring once this returns.
  void StopReading();
  // Sends the acknowledgements queued (for at most a second), closes every
  // connection and joins the thread. Idempotent.
  void Stop();
  Counts counts() const;

 private:
  struct Open {
    std::unique_ptr<StreamConnection> connection;
    uint32_t events;  // as registered with epoll
  };
  struct Ack {
    uint64_t connection;
    uint64_t number;
    bool end;
  };

  StreamReceiver(Options options, DatagramRing* ring, std::unique_ptr<StreamTlsContext> tls,
                 int listen_fd, int epoll_fd, int wake_fd, int port);
  void Run();
  // Accepts every connection waiting (closing those over the limit).
  void AcceptAll(absl::Time now);
  void Admit(int fd, const sockaddr* peer, socklen_t peer_length, absl::Time now);
  // The connection's socket is ready.
  void Serve(Open& open, absl::Time now);
  // Writes a frame read into the ring (`writing`: the ring's writer lock,
  // taken at the first frame).
  void WriteFrame(const StreamConnection& connection, const Frame& frame,
                  std::unique_lock<std::mutex>& writing);
  // After a call on the connection: closes it, or updates its events.
  void After(Open& open, StreamConnection::State state, absl::Time now);
  void SendAcks(absl::Time now);
  // Closes connections whose handshake took too long.
  void ExpireHandshakes(absl::Time now);
  // Closes the oldest connection not through its handshake, to make room;
  // whether there was one.
  bool CloseOldestHandshake(absl::Time now);
  // The oldest connection still in its handshake whose deadline is at or
  // before `due_by`, taken off handshakes_ (with every one before it that
  // is through, or closed); null when there is none.
  StreamConnection* TakeOldestHandshake(absl::Time due_by);
  // Whether every connection has written what it was given.
  bool AllFlushed() const;
  void Close(uint64_t id);

  Options options_;
  DatagramRing* ring_;
  std::unique_ptr<StreamTlsContext> tls_;
  int listen_fd_;
  int epoll_fd_;
  int wake_fd_;
  int port_;
  std::thread thread_;
  bool stopped_ = false;
  std::atomic<bool> stop_reading_{false};
  std::atomic<bool> stopping_{false};

  // The thread's own.
  absl::flat_hash_map<uint64_t, Open> open_;
  std::deque<std::pair<absl::Time, uint64_t>> handshakes_;  // by deadline
  uint64_t next_id_;
  absl::Time accept_paused_until_ = absl::InfinitePast();
  RejectReporter refused_;
  RejectReporter broken_;
  RejectReporter over_limit_;

  std::mutex acks_mu_;
  std::vector<Ack> acks_;

  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> open_count_{0};
  std::atomic<uint64_t> over_limit_count_{0};
  std::atomic<uint64_t> failed_handshakes_{0};
  std::atomic<uint64_t> cut_short_{0};
  std::atomic<uint64_t> protocol_errors_{0};
  std::atomic<uint64_t> frames_{0};
};

// Raises this process's soft limit on open files to its hard limit (a
// leader may hold thousands of connections); returns the new soft limit.
uint64_t RaiseOpenFileLimit();

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_INGEST_STREAM_RECEIVER_H_
