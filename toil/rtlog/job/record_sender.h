// RecordSender: what the job's sender thread does with the records it takes
// from the queue. Each record becomes a line on the job's own stderr and,
// when there is a leader, a record numbered in this process's stream
// (`stream`, `seq`: the leader counts what is lost), encoded, fitted to a
// datagram, packed with others (datagram_packer.h) and signed; Send() writes
// the lines in one write and the datagrams 64 at a time (sendmmsg).
//
// A leader that takes stream connections (TOIL_RT_LOGGING_STREAM) gets the
// records over one instead (stream_client.h): packed into frames of up to
// 64 KiB, kept until acknowledged and sent again after a reconnect. When the
// frames kept fill the stream's buffer, the sender waits for the leader's
// acknowledgements (so a full job queue applies its overflow policy), unless
// the leader is away: then records beyond the buffer are numbered and
// counted as not sent. A stream that cannot be opened at the start falls
// back to datagrams, with one warning.
//
// A leader that cannot be reached by datagrams costs only counts: records are
// numbered and counted as not sent, and the sender tries to connect again at
// most once a second. Used by the sender thread only (counts are read
// anywhere).
//
//   RecordSender sender;
//   sender.Configure(config, context);   // resolves, warns
//   sender.Start();                      // the sender thread: opens the stream
//   sender.Add(queued, text);  ...  sender.Send();
//   sender.FinishStream();               // at exit
#ifndef TOIL_RTLOG_JOB_RECORD_SENDER_H_
#define TOIL_RTLOG_JOB_RECORD_SENDER_H_

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/common/host_port.h"
#include "toil/rtlog/common/line_format.h"
#include "toil/rtlog/job/client_config.h"
#include "toil/rtlog/job/record_builder.h"
#include "toil/rtlog/job/record_copies.h"
#include "toil/rtlog/job/record_json.h"
#include "toil/rtlog/job/record_queue.h"
#include "toil/rtlog/job/stream_client.h"
#include "toil/rtlog/wire/datagram_auth.h"
#include "toil/rtlog/wire/datagram_packer.h"
#include "toil/rtlog/wire/stream_tls.h"

namespace toil::rtlog::internal {

class RecordSender {
 public:
  struct Counts {
    uint64_t sent = 0;         // records handed to the kernel
    uint64_t send_failed = 0;  // records not sent (no leader reachable)
    uint64_t cut = 0;          // records cut to fit a datagram
    // Stream: records kept and not yet acknowledged by the leader (at exit:
    // never acknowledged).
    uint64_t unacknowledged = 0;
  };

  // Sets up where records go: the secret's signer, the leader's address
  // (resolved, at most a short wait) and a socket connected to it. Problems
  // are warned about on stderr; records then go to stderr only.
  void Configure(const ClientConfig& config, RecordContext context);
  // The leader's address ("" when records are not sent).
  const std::string& leader() const { return leader_text_; }

  // One queued record: its stderr line and its datagram, to Send().
  void Add(const QueuedRecord& queued, absl::string_view text);
  // Writes the lines and sends the datagrams (or frames) collected.
  void Send();

  // The sender thread, first: opens the stream connection, if there is to
  // be one; when it is refused (or silent for 10 s), falls back to
  // datagrams.
  void Start();
  // Whether Start() is still opening the stream (any thread): records wait
  // meanwhile, and that is not a stall.
  bool starting() const { return starting_.load(std::memory_order_acquire); }
  // Whether the stream has work for PumpStream (acknowledgements awaited).
  bool StreamBusy() const { return stream_ != nullptr && stream_->busy(); }
  // Lets the stream work for up to `wait`.
  void PumpStream(absl::Duration wait);
  // At exit: waits for the acknowledgement of every record (as long as they
  // come, at most `limit`), says the stream ends, and closes it. Without an
  // acknowledgement for `stall` it gives up once two attempts to connect
  // failed meanwhile; a connected but silent leader gets
  // StreamClient::kStallTimeout more (and connections made again).
  // Records never acknowledged stay in counts().unacknowledged.
  void FinishStream(absl::Duration stall, absl::Duration limit);
  // Whether records go over a stream connection (any thread).
  bool streaming() const { return stream_view_.load(std::memory_order_acquire) != nullptr; }
  // The stream's number of the last record added, and the highest the
  // leader acknowledged (any thread; 0 without a stream).
  uint64_t numbered() const { return numbered_.load(std::memory_order_acquire); }
  uint64_t acknowledged() const;
  // The stream's last problem ("" when none, or no stream).
  const std::string& stream_error() const;

  Counts counts() const;
  // Records kept for the stream and not yet acknowledged (only atomics:
  // safe in a signal handler).
  uint64_t unacknowledged() const;
  // In a forked child: a stream of its own, numbered from 1.
  void AfterFork();

 private:
  void SetUpLeader(const HostPort& leader);
  // Connects a new socket to the leader; 0 or the errno.
  int Connect();
  // Tries to connect again, at most once a second; whether it is connected.
  bool Reconnect();
  void SendDatagrams();
  // Writes the copies held in lines_ to the job's stderr.
  void WriteCopies();
  void SetUpStream(const HostPort& stream, const std::string& secret);
  // Appends the job's own copy of the record to lines_.
  void AppendCopy(const QueuedRecord& queued, absl::string_view text);
  // The record numbered `seq` as JSON, cut to fit `limit` bytes (counted in
  // cut_); valid until the next call.
  absl::string_view Encode(const QueuedRecord& queued, absl::string_view text, uint64_t seq,
                           size_t limit);
  // Adds the record, numbered, to the frame being filled.
  void AddToStream(const QueuedRecord& queued, absl::string_view text);
  // Hands the frame being filled to the stream; waits for room when the
  // stream's buffer is full and the leader is there.
  void CloseFrame();

  RecordContext context_;
  std::optional<SocketAddress> leader_address_;
  std::string leader_text_;
  int socket_ = -1;  // -1 until connected
  int64_t last_connect_attempt_ = 0;
  std::unique_ptr<DatagramAuth> auth_;
  std::unique_ptr<DatagramPacker> packer_;
  uint64_t stream_id_ = 0;
  uint64_t next_seq_ = 1;

  std::optional<SocketAddress> stream_address_;
  std::shared_ptr<StreamTlsContext> stream_tls_;
  std::unique_ptr<StreamClient> stream_;
  // What other threads read the stream's atomics through: stream_, or null
  // once it was given up (then kept in retired_, so that a reader never
  // holds a pointer to freed memory).
  std::atomic<StreamClient*> stream_view_{nullptr};
  std::unique_ptr<StreamClient> retired_;
  std::atomic<uint64_t> numbered_{0};
  std::atomic<bool> starting_{false};
  std::string frame_;  // the frame being filled (StreamClient::NewFrame)
  uint64_t frame_first_ = 0;
  // The number of the frame's last record: what the leader's acknowledgement
  // of the frame says (not next_seq_ - 1: the record that finds the frame
  // full is numbered before the frame is closed, and goes in the next one).
  uint64_t frame_last_ = 0;
  int frame_records_ = 0;

  RecordJson encoder_;
  LogRecord record_;  // a record that must be cut, on its way to JSON
  // How the copies for the job's stderr are written: made once, as the
  // local time zone they name is looked up (getenv("TZ"), a lock) anew by
  // each LineFormatOptions.
  const LineFormatOptions copy_options_ = RecordCopyOptions();
  std::string lines_;  // for the job's stderr
  std::string json_;   // one record, encoded
  mmsghdr messages_[DatagramPacker::kMaxReady];
  iovec iovecs_[DatagramPacker::kMaxReady];

  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> send_failed_{0};
  std::atomic<uint64_t> cut_{0};
  bool warned_send_failure_ = false;
};

// A random, nonzero id for this process's stream of records.
uint64_t NewStreamId();

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_RECORD_SENDER_H_
