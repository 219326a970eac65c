// StreamClient: a job process's one stream connection to its leader (TCP,
// TLS keyed by the run's secret: stream_tls.h; frames: stream_frame.h).
//
// It keeps every frame of records until the leader acknowledges it, up to
// `buffer_bytes`; when the connection breaks (the leader restarted, the
// network failed, no acknowledgement for kStallTimeout) it connects again,
// with a growing pause between attempts, says where it resumes (kHello) and
// sends again what was not acknowledged. The kernel's TCP retransmits and
// controls congestion; this only resends across connections.
//
// It never blocks: every step (connect, handshake, write, read the
// acknowledgements) is taken when the socket is ready, by Pump(), which
// waits only as long as it is told. Used by the job's sender thread alone;
// the counts are atomics any thread (or a signal handler) may read.
//
//   StreamClient stream(leader, tls, stream_id, 4 << 20);
//   stream.Pump(deadline);           // connects
//   stream.Add(frame, first, last);  // and stream.Pump(...) now and then
//   stream.End(last, deadline);      // at exit
#ifndef TOIL_RTLOG_JOB_STREAM_CLIENT_H_
#define TOIL_RTLOG_JOB_STREAM_CLIENT_H_

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "toil/rtlog/common/host_port.h"
#include "toil/rtlog/wire/stream_frame.h"
#include "toil/rtlog/wire/stream_tls.h"

namespace toil::rtlog::internal {

class StreamClient {
 public:
  // What a job keeps for its leader by default (and at least 4 MiB).
  static constexpr size_t kDefaultBufferBytes = 4 << 20;
  // While connected, a job waits once this much is sent and not yet
  // acknowledged: the rest of the buffer is for a leader that is away.
  static constexpr size_t kWindowBytes = 2 << 20;
  // A connection with records out and no acknowledgement for this long is
  // given up and made again (a leader stopped, a peer that vanished).
  static constexpr absl::Duration kStallTimeout = absl::Seconds(10);
  // Connecting and the handshake may take this long.
  static constexpr absl::Duration kConnectTimeout = absl::Seconds(5);
  // Pauses between attempts: from the first, doubled up to the last.
  static constexpr absl::Duration kFirstRetry = absl::Milliseconds(50);
  static constexpr absl::Duration kLastRetry = absl::Seconds(2);

  StreamClient(SocketAddress leader, std::shared_ptr<StreamTlsContext> tls, uint64_t stream_id,
               size_t buffer_bytes);
  ~StreamClient();
  StreamClient(const StreamClient&) = delete;
  StreamClient& operator=(const StreamClient&) = delete;

  // A frame to fill: kFrameHeader bytes of room, for Add to fill in, then
  // the caller appends the records (one JSON object per line). The memory
  // of frames acknowledged is used again.
  std::string NewFrame();
  // Keeps a frame of NewFrame's, with its records, numbered `first_seq` to
  // `last_seq`, until acknowledged, and sends what the socket takes now.
  void Add(std::string frame, uint64_t first_seq, uint64_t last_seq, int count);
  // Takes every step it can now (connects, writes, reads acknowledgements),
  // then, until `deadline`, waits for the socket and goes on, returning as
  // soon as `done()` holds (checked after every step).
  template <typename Done>
  void Pump(absl::Time deadline, Done done);
  void Pump(absl::Time deadline) {
    Pump(deadline, [] { return false; });
  }
  // Says the process ends with record `last_seq` and waits, until
  // `deadline`, for the leader to acknowledge that; then closes. Whether it
  // did.
  bool End(uint64_t last_seq, absl::Time deadline);

  bool connected() const { return state_ == State::kConnected; }
  // Whether it has work that needs Pump() (frames not acknowledged, a
  // connection being made).
  bool busy() const;
  // Whether the frames kept reached `buffer_bytes`.
  bool full() const { return kept_bytes_ >= buffer_bytes_; }
  // Whether a connected job should wait for acknowledgements first (the
  // frames kept reached kWindowBytes, or the buffer when it is smaller).
  bool window_full() const { return kept_bytes_ >= std::min(buffer_bytes_, kWindowBytes); }
  bool all_acknowledged() const { return frames_.empty(); }
  // Records kept and not acknowledged.
  uint64_t unacknowledged() const { return kept_records_.load(std::memory_order_relaxed); }
  // The highest number acknowledged.
  uint64_t acknowledged() const { return acknowledged_.load(std::memory_order_relaxed); }
  // What went wrong last, for a warning ("" while all is well).
  const std::string& last_error() const { return last_error_; }
  // Whether it ever completed a handshake.
  bool ever_connected() const { return ever_connected_; }
  // Whether the last attempt was answered with a refusal (no one listens
  // there, no route, or a handshake refused: not this run's leader), rather
  // than with silence that may yet end.
  bool refused() const { return refused_; }
  // How many attempts to connect (connecting, or the handshake) failed so
  // far; a connection made and lost later is not one.
  uint64_t failed_attempts() const { return failed_attempts_; }

  // In a forked child: the parent's socket, for the child to close, and
  // forgotten here. The child makes a StreamClient of its own; this one,
  // which the parent's sender thread may have been changing when the
  // process was copied, is never touched again (nor freed).
  int ForgetAfterFork();
  // Held around every call into OpenSSL, by every StreamClient. The fork
  // hooks hold it across fork(), so that a child never inherits a lock that
  // OpenSSL took in the parent's sender thread mid-call (the child's own
  // handshake would wait for it for ever).
  static std::mutex& OpenSslCalls();

 private:
  enum class State { kIdle, kConnecting, kHandshaking, kConnected };
  struct Kept {
    std::string frame;  // header and records
    uint64_t first_seq;
    uint64_t last_seq;
    int records;
  };

  // One round of every step possible without waiting; whether any progressed.
  bool Step(absl::Time now);
  bool StartConnect(absl::Time now);
  bool FinishConnect(absl::Time now);
  bool StartHandshake(absl::Time now);
  bool Handshake(absl::Time now);
  bool Write(absl::Time now);
  bool Read(absl::Time now);
  void Acknowledged(uint64_t number, absl::Time now);
  // Drops the connection; tries again after the pause. `refused`: the
  // leader's side said no.
  void Disconnect(std::string why, absl::Time now, bool refused = false);
  void Close();
  // Whether an SSL call that returned `result` must wait for the socket.
  bool SslWouldBlock(int result);
  // Why an SSL call that returned `result` failed, in words.
  std::string SslFailure(absl::string_view doing, int result);
  // Waits for the socket until `deadline` (or the next attempt to connect).
  void WaitForSocket(absl::Time deadline);
  // A new connection starts with a kHello (and the kEnd, if it was said),
  // then every frame not acknowledged.
  void QueueHello();

  const SocketAddress leader_;
  const std::shared_ptr<StreamTlsContext> tls_;
  uint64_t stream_id_;
  const size_t buffer_bytes_;

  State state_ = State::kIdle;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool want_write_ = false;
  absl::Time next_attempt_ = absl::InfinitePast();
  absl::Duration retry_ = kFirstRetry;
  absl::Time connect_deadline_ = absl::InfiniteFuture();
  absl::Time last_progress_ = absl::InfinitePast();  // of acknowledgements
  bool ever_connected_ = false;
  bool refused_ = false;
  uint64_t failed_attempts_ = 0;
  std::string last_error_;

  std::deque<Kept> frames_;  // not yet acknowledged, in order
  // Frames acknowledged, kept for NewFrame (a few: freed and allocated anew,
  // each frame's pages were faulted in again).
  static constexpr size_t kSpareFrames = 8;
  std::vector<std::string> spare_frames_;
  size_t kept_bytes_ = 0;
  uint64_t last_added_ = 0;  // the last record number added
  std::string control_;      // hello or end, sent before frames_[send_index_]
  size_t control_sent_ = 0;
  size_t send_index_ = 0;   // the frame being sent
  size_t send_offset_ = 0;  // of it, already sent
  bool end_queued_ = false;
  bool end_acknowledged_ = false;
  uint64_t end_number_ = 0;
  StreamFrameReader reader_;

  std::atomic<uint64_t> kept_records_{0};
  std::atomic<uint64_t> acknowledged_{0};
};

// --- Implementation of the template ---

template <typename Done>
void StreamClient::Pump(absl::Time deadline, Done done) {
  const auto step = [this] {
    std::lock_guard<std::mutex> calls(OpenSslCalls());
    return Step(absl::Now());
  };
  while (true) {
    while (step()) {
      if (done()) return;
    }
    if (done() || absl::Now() >= deadline) return;
    WaitForSocket(deadline);
  }
}

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_STREAM_CLIENT_H_
