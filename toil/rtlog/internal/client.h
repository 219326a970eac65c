// The job side's process-wide client: the level gate RT_LOG checks, and the
// path from a finished log statement to the job's stderr and the leader.
//
// Configured once, lazily and thread-safely, from the environment (see
// client_config.h). In the leader process a RealtimeLogger installs a local
// delivery instead, so that RT_LOG there reaches the sinks once, directly.
#ifndef TOIL_RTLOG_INTERNAL_CLIENT_H_
#define TOIL_RTLOG_INTERNAL_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/internal/client_config.h"
#include "toil/rtlog/level.h"

namespace toil::rtlog::internal {

// The lowest level that is logged. 0 until the client is configured, so
// that the first check of each level goes through ShouldLogSlow.
extern std::atomic<int> g_threshold;

// Configures the client if needed; then whether `level` passes.
bool ShouldLogSlow(Level level);

// What RT_LOG checks before evaluating anything else: below the threshold it
// is one load, one compare and one well-predicted branch.
inline bool ShouldLog(Level level) {
  return LevelNumber(level) >= g_threshold.load(std::memory_order_relaxed) &&
         ShouldLogSlow(level);
}

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

  // Sends one record that passed ShouldLog: to the local delivery when one is
  // installed, else to stderr and, when a leader is configured, as one
  // datagram. Never throws; failures are counted.
  void Log(Level level, const SourceLocation& where, absl::string_view text,
           absl::Time time, absl::string_view logger_name = "toil-rt");

  // In the leader process: hand records at `level` and above to `deliver`
  // (instead of stderr and UDP) until ClearLocalDelivery.
  using Delivery = std::function<void(const LogRecord&)>;
  void SetLocalDelivery(Delivery deliver, Level level);
  void ClearLocalDelivery();

  // Reads the environment again (for tools and tests that change it; not to
  // be called while other threads log).
  void Reconfigure();

  struct Stats {
    uint64_t sent = 0;         // datagrams handed to the kernel
    uint64_t send_failed = 0;  // datagrams the kernel refused
    uint64_t cut = 0;          // records cut to fit a datagram
  };
  Stats stats() const;

  // The leader address in use, or "" when records are not sent.
  std::string leader() const;

 private:
  Client() = default;
  void ConfigureLocked();
  void ApplyThresholdLocked();
  void WriteStderr(const LogRecord& record, absl::string_view message);
  void SendDatagram(LogRecord* record);
  void ReportExit();

  friend bool ShouldLogSlow(Level level);

  mutable std::mutex mu_;
  bool configured_ = false;
  ClientConfig config_;
  std::string leader_text_;
  std::atomic<int> socket_{-1};
  absl::Time start_time_ = absl::Now();

  // Local delivery (leader process).
  std::atomic<bool> has_delivery_{false};
  std::mutex delivery_mu_;
  Delivery delivery_;
  Level delivery_level_ = Level::kInfo;

  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> send_failed_{0};
  std::atomic<uint64_t> cut_{0};
  std::atomic<bool> warned_send_failure_{false};
  bool exit_report_registered_ = false;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_INTERNAL_CLIENT_H_
