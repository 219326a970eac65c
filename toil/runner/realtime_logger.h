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
// leader process goes straight to the sinks (shown once, not twice), and so
// do the lines that the jobs of a local batch system print, read by the
// batch system in this process (capture/captured_lines.h).
#ifndef TOIL_RUNNER_REALTIME_LOGGER_H_
#define TOIL_RUNNER_REALTIME_LOGGER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "toil/batch/batch_system.h"
#include "toil/rtlog/base/log_stats.h"
#include "toil/rtlog/capture/captured_lines.h"
#include "toil/rtlog/leader/log_server.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace toil::rtlog {

struct RealtimeLoggerOptions {
  // The lowest level jobs send: TRACE ... CRITICAL or OFF; "" disables.
  std::string level = "INFO";
  // Where records go. Empty: a TerminalSink on stderr.
  std::vector<LogSink*> sinks;
  // The log server it runs (leader/log_server.h): where it listens, its
  // secret and whether it accepts unsigned records, packed datagrams, the
  // control plane, the records kept for viewers. The scope decides, over
  // what is set here: the level (above); the bind address when none is
  // given (127.0.0.1 when the batch system runs jobs only on this machine,
  // else 0.0.0.0, advertising the route toward its scheduler); how records
  // that name no job are named (by the batch system's pids); and what the
  // control plane's `level` does (the batch system's environment).
  LogServerOptions server;
  // What the lines jobs print become, when the batch system lets this
  // process read them (BatchSystem::ListenToOutput: LocalBatchSystem does,
  // unless its capture is off): the level of each stream's records, how
  // often a progress bar is shown.
  capture::CapturedLinesOptions captured;
};

class RealtimeLogger {
 public:
  RealtimeLogger(batch::BatchSystem& batch_system, RealtimeLoggerOptions options = {});
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
  // Has the batch system hand this process its jobs' output, if it can.
  void ListenToJobsOutput(const capture::CapturedLinesOptions& options);

  batch::BatchSystem& batch_system_;
  absl::Status status_;
  bool started_ = false;
};

}  // namespace toil::rtlog

#endif  // TOIL_RUNNER_REALTIME_LOGGER_H_
