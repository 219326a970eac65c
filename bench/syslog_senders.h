// Senders of messages to a syslog receiver, for the benchmarks' outside
// reference (rsyslog_reference.h): over plain TCP, each message ended by a
// newline (what rsyslog's imptcp reads), or over RELP, each message
// acknowledged by the receiver (what imrelp speaks; librelp's framing:
// "TXNR COMMAND DATALEN DATA\n"), with a window of unacknowledged messages
// as rsyslog's own omrelp keeps.
//
//   auto sender = ConnectRelp(port);
//   for (...) (*sender)->Send(message);  // no newline in it
//   (*sender)->Finish();                 // RELP: every message acknowledged
#ifndef BENCH_SYSLOG_SENDERS_H_
#define BENCH_SYSLOG_SENDERS_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace toil::bench {

class SyslogSender {
 public:
  virtual ~SyslogSender() = default;
  // Sends one message (buffered; written when the buffer fills, or at
  // Finish).
  virtual absl::Status Send(absl::string_view message) = 0;
  // Writes what is buffered and, for RELP, waits until every message was
  // acknowledged and closes the session. The sender is spent after it.
  virtual absl::Status Finish() = 0;
};

// A connection to 127.0.0.1:`port`.
absl::StatusOr<std::unique_ptr<SyslogSender>> ConnectTcp(int port);
// A RELP session with 127.0.0.1:`port`, at most `window` messages
// unacknowledged.
absl::StatusOr<std::unique_ptr<SyslogSender>> ConnectRelp(int port, int window = 128);

}  // namespace toil::bench

#endif  // BENCH_SYSLOG_SENDERS_H_
