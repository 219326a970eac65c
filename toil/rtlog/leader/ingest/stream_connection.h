// StreamConnection: one job's connection to the leader's StreamReceiver, a
// non-blocking TCP socket and its TLS session. It runs the handshake, reads
// frames (StreamFrameReader) and hands each to the receiver, and writes the
// acknowledgements queued for it. Everything it does is driven by its
// socket being ready (OnReady) or an acknowledgement arriving (QueueAck);
// it never blocks. After a kEnd it reads no more, and closes once that
// frame's acknowledgement is written.
#ifndef TOIL_RTLOG_LEADER_INGEST_STREAM_CONNECTION_H_
#define TOIL_RTLOG_LEADER_INGEST_STREAM_CONNECTION_H_

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "toil/rtlog/wire/stream_frame.h"

namespace toil::rtlog::internal {

class StreamConnection {
 public:
  // What became of the connection after a call.
  enum class State { kOpen, kDone, kFailed };
  // Takes one frame read (valid only during the call).
  using FrameSink = std::function<void(const Frame& frame)>;

  // Takes the accepted socket `fd` and the session `ssl` (owned from now).
  StreamConnection(uint64_t id, int fd, SSL* ssl, const sockaddr* peer, socklen_t peer_length);
  ~StreamConnection();
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  // The socket is ready: goes on with the handshake, reads what arrived
  // (frames to `sink`), writes what is queued. kFailed sets error().
  State OnReady(const FrameSink& sink);
  // Queues the acknowledgement of `number` (`end`: the last) and writes it.
  State QueueAck(uint64_t number, bool end);
  // Epoll events it waits for now.
  uint32_t wanted_events() const;

  uint64_t id() const { return id_; }
  int fd() const { return fd_; }
  bool established() const { return established_; }
  const sockaddr* peer() const { return reinterpret_cast<const sockaddr*>(&peer_); }
  socklen_t peer_length() const { return peer_length_; }
  const std::string& peer_text() const { return peer_text_; }
  // Why it failed, and whether in the handshake.
  const std::string& error() const { return error_; }
  bool failed_in_handshake() const { return failed_in_handshake_; }
  // Whether TLS said no in the handshake (not this run's secret, not TLS);
  // else the peer closed or reset the connection before it ended (a job
  // that gave up waiting connects again).
  bool handshake_refused() const { return handshake_refused_; }
  // Whether it has written everything queued.
  bool flushed() const { return sent_ == out_.size(); }

 private:
  State Handshake();
  State Read(const FrameSink& sink);
  State Write();
  // Takes the frames whole in the reader; kFailed on a protocol error.
  State TakeFrames(const FrameSink& sink);
  State Fail(std::string error);
  // SSL's verdict on a call that returned `result`, as a State; sets the
  // events to wait for when it must wait.
  State Wait(int result, const char* doing);

  uint64_t id_;
  int fd_;
  SSL* ssl_;
  sockaddr_storage peer_{};
  socklen_t peer_length_;
  std::string peer_text_;
  bool established_ = false;
  bool hello_seen_ = false;
  bool ended_ = false;       // read its kEnd: nothing more is read
  bool closing_ = false;     // its last acknowledgement is queued
  bool want_write_ = false;  // SSL waits for the socket to be writable
  StreamFrameReader reader_;
  std::string out_;
  size_t sent_ = 0;
  std::string error_;
  bool failed_in_handshake_ = false;
  bool handshake_refused_ = false;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_INGEST_STREAM_CONNECTION_H_
