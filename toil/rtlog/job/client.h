// The job side's process-wide client: the level gate RT_LOG checks, and the
// path from a finished log statement to the job's stderr and the leader.
//
// A log call costs its caller little: the finished text goes into a bounded
// in-memory queue, and a sender thread encodes the records, writes them to
// the job's stderr (one write per batch) and sends them to the leader
// (sendmmsg, one datagram per record). Nothing is lost at the end of a job:
// exit() and a return from main flush the queue, and so do SIGTERM, SIGINT,
// SIGHUP, SIGABRT, SIGSEGV, SIGBUS, SIGFPE and SIGILL before the signal takes
// its course (handlers the application installed first keep working). A
// CRITICAL record is on the wire before RT_LOG returns. A full queue never
// blocks: what does not fit is counted, and the count reaches the leader.
//
// Configured once, lazily and thread-safely, from the environment (see
// client_config.h). In the leader process a RealtimeLogger installs a local
// delivery instead, so that RT_LOG there reaches the sinks once, directly.
#ifndef TOIL_RTLOG_JOB_CLIENT_H_
#define TOIL_RTLOG_JOB_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/common/host_port.h"
#include "toil/rtlog/job/client_config.h"
#include "toil/rtlog/job/level_gate.h"
#include "toil/rtlog/wire/datagram_auth.h"
#include "toil/rtlog/base/level.h"

namespace toil::rtlog::internal {

// Where a record was logged. `file` and `function` must outlive the process
// (string literals, as __FILE__ and __func__ are).
struct SourceLocation {
  const char* file = "";
  int line = 0;
  const char* function = "";
};

class Client {
 public:
  // The queue between log calls and the sender thread: one ring of this many
  // bytes, holding each record's fields and text (about 120 bytes for a
  // short message, so some 8,000 records).
  static constexpr size_t kQueueBytes = 1 << 20;
  // Longer messages are cut to this when queued (a datagram holds no more);
  // the marker added when the record is sent gives the original length.
  static constexpr size_t kMaxQueuedText = 64 * 1024;

  // The process's client (never destroyed, so logging from static
  // destructors and atexit handlers is safe).
  static Client& Instance();

  // Takes one record that passed ShouldLog, logged at `time_ns` (since the
  // Unix epoch): hands it to the local delivery
  // when one is installed, else queues it for the sender thread (and waits
  // for it to be sent when it is CRITICAL). Never throws, never blocks for
  // long; a record that does not fit in the queue is counted.
  void Log(Level level, const SourceLocation& where, absl::string_view text,
           int64_t time_ns, absl::string_view logger_name = "toil-rt");

  // Waits until every record queued so far has been written and sent, or
  // `timeout` passed; returns whether they all were.
  bool Flush(absl::Duration timeout = absl::Seconds(5));

  // In the leader process: hand records at `level` and above to `deliver`
  // (instead of stderr and UDP) until ClearLocalDelivery.
  using Delivery = std::function<void(const LogRecord&)>;
  void SetLocalDelivery(Delivery deliver, Level level);
  // The level of the local delivery installed (the leader's SetLevel).
  void SetLocalDeliveryLevel(Level level);
  void ClearLocalDelivery();

  struct Stats {
    uint64_t sent = 0;         // datagrams handed to the kernel
    uint64_t send_failed = 0;  // datagrams the kernel refused
    uint64_t queue_full = 0;   // records dropped: the queue was full
    uint64_t cut = 0;          // records cut to fit a datagram
  };
  Stats stats() const;

  // The leader address in use, or "" when records are not sent.
  std::string leader() const;

  // For the signal handlers and atexit: flush without locks or allocation.
  void FlushFromSignal(absl::Duration timeout);
  void OnExit();

 private:
  // One queued record, followed in the ring by its text (and padding).
  struct Entry {
    uint32_t bytes;  // of the entry with its text; 0 marks a wrap to 0
    Level level;
    int line;
    uint32_t text_size;
    uint32_t original_size;  // before cutting to kMaxQueuedText
    const char* file;
    const char* function;
    int64_t time_ns;
    uint64_t thread_id;
    const std::string* thread_name;  // interned
    const std::string* logger_name;  // interned; null for "toil-rt"
  };
  // Per-thread state of turning entries into lines and datagrams.
  struct Output;

  // The sender polls this often while records keep coming (callers need not
  // wake it), and is woken anyway once kWakeBatch records wait.
  static constexpr int64_t kPollNanos = 1000 * 1000;
  static constexpr size_t kWakeBatch = 256;
  // At most this many datagrams per sendmmsg.
  static constexpr int kSendBatch = 64;
  // How often the sender tries again to reach a leader it could not.
  static constexpr int64_t kReconnectNanos = 1000 * 1000 * 1000;

  Client() = default;
  // In the leader process, once has_delivery_ is set and outside a delivery:
  // builds the record and hands it to the sinks; false when the record takes
  // the ordinary path.
  bool DeliverInLeader(Level level, const SourceLocation& where,
                       absl::string_view text, int64_t time_ns,
                       absl::string_view logger_name);
  // Copies the record into the ring; returns its sequence number (0 when the
  // ring was full and the record was counted as dropped).
  uint64_t Enqueue(Level level, const SourceLocation& where,
                   absl::string_view text, int64_t time_ns,
                   absl::string_view logger_name);
  // Where in the ring `bytes` fit (writing a wrap mark if needed), or
  // SIZE_MAX.
  size_t RoomLocked(size_t bytes);
  void ConfigureLocked();
  // Resolves the leader's address and connects the socket to it (a failure
  // to connect is retried by the sender).
  void SetUpLeaderLocked();
  // Connects a new socket to leader_address_; 0 or the errno.
  int ConnectLeader();
  void ApplyThresholdLocked();
  void StartSenderOnce();
  void SenderLoop();
  // Turns one entry into a stderr line and a datagram (or hands it to the
  // local delivery); Send() writes and sends what has been collected.
  void Process(const Entry& entry, absl::string_view text, Output& output);
  void Send(Output& output);
  // Adds output.json to the datagram being packed, or starts the next one
  // (with config_.packed_bytes 0, each record is a datagram of its own).
  void AddToDatagram(Output& output);
  // Signs the datagram being packed and queues it for sending.
  void CloseDatagram(Output& output);
  // Sender thread: tries to connect to the leader again, at most once per
  // kReconnectNanos; whether the socket is now connected.
  bool Reconnect();
  // The leader's own record, built on the calling thread, to its sinks.
  void DeliverLocally(const Entry& entry, absl::string_view text);
  void ReportQueueDrops();
  void WakeSender();
  // Waits for processed_ to reach `target`; async-signal-safe.
  bool WaitProcessed(uint64_t target, absl::Duration timeout);
  // At exit: waits for the queue to drain for as long as the sender makes
  // progress (up to a limit); returns how many records it leaves unsent.
  uint64_t FlushBeforeExit();
  void AfterForkInChild();
  static const std::string* Intern(absl::string_view text);

  friend bool ShouldLogSlow(Level level);
  friend void ForkPrepare();
  friend void ForkParent();
  friend void ForkChild();

  mutable std::mutex mu_;  // configuration
  bool configured_ = false;
  ClientConfig config_;
  std::string leader_text_;
  // Where records go, once resolved; set before the sender starts.
  std::optional<SocketAddress> leader_address_;
  // -1 until connected: records are then counted as not sent, and the
  // sender tries to connect again once a second (last_connect_attempt_).
  std::atomic<int> socket_{-1};
  int64_t last_connect_attempt_ = 0;
  absl::Time start_time_ = absl::Now();
  // Signs datagrams when the run has a secret; used by the sender only.
  std::unique_ptr<DatagramAuth> auth_;
  // Loss detection: this process's random stream id and the next record's
  // number (sender thread only; both start afresh in a forked child).
  uint64_t stream_id_ = 0;
  uint64_t next_seq_ = 1;

  // The queue: a byte ring. Producers append at tail_ under queue_mu_; the
  // sender reads `count_` entries from head_ outside the lock (producers
  // never write there) and then frees them.
  std::mutex queue_mu_;
  char* ring_ = nullptr;  // kQueueBytes, allocated with the sender
  size_t head_ = 0;
  size_t tail_ = 0;
  size_t count_ = 0;
  bool sender_sleeping_ = false;   // under queue_mu_
  std::atomic<uint64_t> enqueued_{0};
  std::atomic<uint64_t> processed_{0};
  // Futex words: bumped to wake the sender, and by the sender after a batch.
  std::atomic<uint32_t> wake_word_{0};
  std::atomic<uint32_t> done_word_{0};
  std::atomic<bool> sender_started_{false};
  std::atomic<bool> exiting_{false};

  // Local delivery (leader process).
  static thread_local bool in_delivery_;
  std::atomic<bool> has_delivery_{false};
  std::mutex delivery_mu_;
  Delivery delivery_;
  Level delivery_level_ = Level::kInfo;

  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> send_failed_{0};
  std::atomic<uint64_t> queue_full_{0};
  std::atomic<uint64_t> queue_full_reported_{0};  // written by the sender
  std::atomic<uint64_t> cut_{0};
  std::atomic<bool> warned_send_failure_{false};
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_CLIENT_H_
