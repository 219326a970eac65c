// The job side's process-wide client: the level gate RT_LOG checks, and the
// path from a finished log statement to the job's stderr and the leader.
//
// A log call costs its caller little: the finished text goes into the
// RecordQueue, and a sender thread (RecordSender) writes the records to the
// job's stderr (one write per batch) and sends them to the leader (packed
// into as few datagrams as the leader reads, sendmmsg). Nothing is lost at
// the end of a job: exit() and a return from main flush the queue, and so do
// the signals that end a process, before the signal takes its course
// (process_hooks.h). A CRITICAL record is on the wire before RT_LOG returns.
// A full queue drops (the record is written to stderr at once and counted,
// and the count reaches the leader) or, when the process chose to, waits for
// room up to a bound (overflow.h). With a stream connection (stream_client.h)
// exit also waits, bounded, for the leader to acknowledge the last record,
// and a CRITICAL record is acknowledged before RT_LOG returns.
//
// Configured once, lazily and thread-safely, from the environment (see
// client_config.h). In the leader process a RealtimeLogger installs a local
// delivery instead, so that RT_LOG there reaches the sinks once, directly.
#ifndef TOIL_RTLOG_JOB_CLIENT_H_
#define TOIL_RTLOG_JOB_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/job/client_config.h"
#include "toil/rtlog/job/level_gate.h"
#include "toil/rtlog/job/record_builder.h"
#include "toil/rtlog/job/record_queue.h"
#include "toil/rtlog/job/record_sender.h"

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
  // The process's client (never destroyed, so logging from static
  // destructors and atexit handlers is safe).
  static Client& Instance();

  // Takes one record that passed ShouldLog, logged at `time_ns` (since the
  // Unix epoch): hands it to the local delivery when one is installed, else
  // queues it for the sender thread (and waits for it to be sent when it is
  // CRITICAL, or when the process is exiting). Never throws, never blocks
  // for long; a record that does not fit in the queue is counted. False
  // when it was dropped so.
  bool Log(Level level, const SourceLocation& where, absl::string_view text, int64_t time_ns,
           absl::string_view logger_name = "toil-rt");
  // Counts `n` records as dropped by a full queue without offering them (a
  // caller that knows the queue is full, and sheds what comes meanwhile).
  void CountDropped(uint64_t n);

  // Waits until every record queued so far has been written and sent (and
  // the count of those the full queue refused), or `timeout` passed;
  // returns whether they all were.
  bool Flush(absl::Duration timeout = absl::Seconds(5));

  // In the leader process: hand records at `level` and above to `deliver`
  // (instead of stderr and UDP) until ClearLocalDelivery.
  using Delivery = std::function<void(const LogRecord&)>;
  void SetLocalDelivery(Delivery deliver, Level level);
  // The level of the local delivery installed (the leader's SetLevel).
  void SetLocalDeliveryLevel(Level level);
  void ClearLocalDelivery();

  struct Stats {
    uint64_t sent = 0;            // records handed to the kernel
    uint64_t send_failed = 0;     // records the leader could not be sent
    uint64_t queue_full = 0;      // records dropped: the queue was full
    uint64_t cut = 0;             // records cut to fit a datagram
    uint64_t unacknowledged = 0;  // stream: kept, not yet acknowledged
  };
  Stats stats() const;

  // How long a log call waits for room in a full queue (overflow.h);
  // overrides TOIL_RT_LOGGING_OVERFLOW.
  void SetOverflowWait(absl::Duration most);
  // How often the sender, while records come, looks for more and for
  // acknowledgements (0.5 ms by default; 1 us to 1 s).
  void SetSendInterval(absl::Duration interval);
  // Records name process `pid`, called `name`, rather than this one (a
  // process that logs another's output); to be called before the first
  // record.
  void SetLoggedProcess(int pid, std::string name);

  // The leader address in use, or "" when records are not sent.
  std::string leader() const;

 private:
  Client() = default;
  // In the leader process, once a delivery is installed and outside one:
  // builds the record and hands it to the sinks; false when the record
  // takes the ordinary path.
  bool DeliverInLeader(Level level, const SourceLocation& where, absl::string_view text,
                       int64_t time_ns, absl::string_view logger_name);
  void ConfigureLocked();
  void ApplyThresholdLocked();
  void StartSenderOnce();
  void SenderLoop();
  // Sends a WARNING record with the count of records the full queue
  // dropped since the last one.
  void ReportQueueDrops();
  // Waits for the queue to drain for as long as the sender makes progress
  // (up to a limit).
  void FlushBeforeExit();
  // Records queued and not yet taken by the sender.
  uint64_t Unsent() const;
  // At exit, with a stream: has the sender thread wait for the last
  // acknowledgement and end the stream (bounded), and waits for that.
  void FinishStream();
  // Waits (at most 5 s) until the record queued as `number` is sent: with a
  // stream, acknowledged by the leader.
  void WaitUntilSent(uint64_t number);
  // A record the full queue refused: written to stderr here and now.
  void WriteDropped(const QueuedRecord& queued, absl::string_view text);
  // The sender thread, when it has no records: waits for some, or works
  // the stream while it waits for acknowledgements.
  void WaitForRecords(uint32_t wake_seen, bool idle);
  // What the process hooks call (process_hooks.h).
  static void OnExit();
  static void FlushFromSignal();
  static const std::string* Intern(absl::string_view text);

  friend bool ShouldLogSlow(Level level);
  friend void ForkPrepare();
  friend void ForkParent();
  friend void ForkChild();

  mutable std::mutex mu_;  // configuration
  bool configured_ = false;
  int logged_process_ = 0;  // SetLoggedProcess
  std::string logged_process_name_;
  ClientConfig config_;
  RecordContext context_;
  RecordQueue queue_;
  RecordSender sender_;  // the sender thread's
  std::atomic<bool> sender_started_{false};
  std::atomic<bool> exiting_{false};
  std::atomic<uint64_t> drops_reported_{0};  // written by the sender
  std::atomic<int64_t> overflow_wait_ns_{0};
  std::atomic<int64_t> send_interval_ns_{500 * 1000};  // SetSendInterval
  std::atomic<bool> overflow_chosen_{false};           // SetOverflowWait was called
  std::atomic<bool> finish_stream_{false};             // exit asks the sender
  std::atomic<bool> stream_finished_{false};           // the sender did

  // Local delivery (leader process).
  static thread_local bool in_delivery_;
  std::atomic<bool> has_delivery_{false};
  std::mutex delivery_mu_;
  Delivery delivery_;
  Level delivery_level_ = Level::kInfo;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_CLIENT_H_
