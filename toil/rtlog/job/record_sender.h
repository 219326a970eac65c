// RecordSender: what the job's sender thread does with the records it takes
// from the queue. Each record becomes a line on the job's own stderr and,
// when there is a leader, a record numbered in this process's stream
// (`stream`, `seq`: the leader counts what is lost), encoded, fitted to a
// datagram, packed with others (datagram_packer.h) and signed; Send() writes
// the lines in one write and the datagrams 64 at a time (sendmmsg).
//
// A leader that cannot be reached costs only counts: records are numbered
// and counted as not sent, and the sender tries to connect again at most
// once a second. Used by the sender thread only (counts are read anywhere).
//
//   RecordSender sender;
//   sender.Configure(config, context);   // resolves and connects, warns
//   sender.Add(queued, text);  ...  sender.Send();
#ifndef TOIL_RTLOG_JOB_RECORD_SENDER_H_
#define TOIL_RTLOG_JOB_RECORD_SENDER_H_

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/common/host_port.h"
#include "toil/rtlog/job/client_config.h"
#include "toil/rtlog/job/record_builder.h"
#include "toil/rtlog/job/record_queue.h"
#include "toil/rtlog/wire/datagram_auth.h"
#include "toil/rtlog/wire/datagram_packer.h"

namespace toil::rtlog::internal {

class RecordSender {
 public:
  struct Counts {
    uint64_t sent = 0;         // records handed to the kernel
    uint64_t send_failed = 0;  // records not sent (no leader reachable)
    uint64_t cut = 0;          // records cut to fit a datagram
  };

  // Sets up where records go: the secret's signer, the leader's address
  // (resolved, at most a short wait) and a socket connected to it. Problems
  // are warned about on stderr; records then go to stderr only.
  void Configure(const ClientConfig& config, RecordContext context);
  // The leader's address ("" when records are not sent).
  const std::string& leader() const { return leader_text_; }

  // One queued record: its stderr line and its datagram, to Send().
  void Add(const QueuedRecord& queued, absl::string_view text);
  // Writes the lines and sends the datagrams collected.
  void Send();

  Counts counts() const;
  // In a forked child: a stream of its own, numbered from 1.
  void AfterFork();

 private:
  void SetUpLeader(const HostPort& leader);
  // Connects a new socket to the leader; 0 or the errno.
  int Connect();
  // Tries to connect again, at most once a second; whether it is connected.
  bool Reconnect();
  void SendDatagrams();

  RecordContext context_;
  std::optional<SocketAddress> leader_address_;
  std::string leader_text_;
  int socket_ = -1;  // -1 until connected
  int64_t last_connect_attempt_ = 0;
  std::unique_ptr<DatagramAuth> auth_;
  std::unique_ptr<DatagramPacker> packer_;
  uint64_t stream_id_ = 0;
  uint64_t next_seq_ = 1;

  LogRecord record_;
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
