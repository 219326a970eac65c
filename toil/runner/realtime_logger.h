// RealtimeLogger: the leader's side, bound to a scope (the C++ counterpart of
// Toil's `with RealtimeLogger(batchSystem, level):`).
//
//   toil::batch::LocalBatchSystem batch;
//   {
//     toil::rtlog::RealtimeLogger logger(batch, {.level = "INFO"});
//     ... issue jobs: each gets TOIL_RT_LOGGING_ADDRESS and _LEVEL ...
//   }  // server stopped, thread joined, sinks flushed, variables removed
//
// Only the outermost of nested scopes starts and stops the server; a nested
// scope that asks for a level gets a warning. An empty level disables
// real-time logging: no server, no variables. While active, RT_LOG in the
// leader process goes straight to the sinks (shown once, not twice).
#ifndef TOIL_RUNNER_REALTIME_LOGGER_H_
#define TOIL_RUNNER_REALTIME_LOGGER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "toil/batch/batch_system.h"
#include "toil/rtlog/sinks/log_sink.h"
#include "toil/rtlog/base/log_stats.h"

namespace toil::rtlog {

struct RealtimeLoggerOptions {
  // The lowest level jobs send: TRACE ... CRITICAL or OFF; "" disables.
  std::string level = "INFO";
  // Numeric address to listen on. Default: 127.0.0.1 when the batch system
  // runs jobs only on this machine, else 0.0.0.0 (all interfaces).
  std::optional<std::string> bind_host;
  // 0: any free port.
  int port = 0;
  // The host put into TOIL_RT_LOGGING_ADDRESS. Default: the bound address if
  // it is a specific one, else this machine's first non-loopback address.
  std::optional<std::string> advertise_host;
  // The socket's receive buffer, which absorbs bursts the sinks cannot keep
  // up with (the kernel drops, and the leader counts, what does not fit),
  // with the leader's own ring of a quarter of it (at most 8 MiB).
  int receive_buffer_bytes = 32 << 20;
  // Where records go. Empty: a TerminalSink on stderr.
  std::vector<LogSink*> sinks;
  // Authentication: make a random secret for this run and hand it to the
  // jobs in TOIL_RT_LOGGING_SECRET; datagrams not signed with it are refused
  // and counted (see the README, "Authentication").
  bool authenticate = true;
  // With authenticate: accept unsigned records too (Python jobs cannot
  // sign), marked "unsigned" on the terminal and "signed": false in JSON
  // lines. Forged and other-run datagrams are still refused.
  bool allow_unsigned = false;
  // The control plane (`toil-rtlog tail`, `status`, `senders`, `level`):
  // "" (the default) a Unix socket in a new directory only this user can
  // open; "off"; or a numeric "HOST:PORT" for TCP, which then requires
  // ControlToken(). See LogServerOptions::control.
  std::string control;
};

class RealtimeLogger {
 public:
  RealtimeLogger(batch::BatchSystem& batch_system,
                 RealtimeLoggerOptions options = {});
  ~RealtimeLogger();
  RealtimeLogger(const RealtimeLogger&) = delete;
  RealtimeLogger& operator=(const RealtimeLogger&) = delete;

  // Why the server could not start (bad level, bind failure); the workflow
  // then runs without real-time logging.
  const absl::Status& status() const { return status_; }
  // Whether this scope started the server (outermost, level set, no error).
  bool started() const { return started_; }

  // The server's address as advertised to jobs ("" when none runs).
  static std::string Address();
  // Counts so far for the running server (or the last one, once stopped).
  static LogStats Stats();
  // What each job sent, for the running server (or the last one, once
  // stopped).
  static JobLogs job_logs();
  // Where the running server's control plane listens ("unix:/path" or
  // "HOST:PORT"; "" when none), and the token a TCP address requires. Give
  // them to people (TOIL_RT_LOGGING_CONTROL, _TOKEN), never to jobs.
  static std::string ControlTarget();
  static std::string ControlToken();

 private:
  batch::BatchSystem& batch_system_;
  absl::Status status_;
  bool started_ = false;
};

}  // namespace toil::rtlog

#endif  // TOIL_RUNNER_REALTIME_LOGGER_H_
