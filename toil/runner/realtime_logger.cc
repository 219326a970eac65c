// The leader's real-time logging scope; see realtime_logger.h.
#include "toil/runner/realtime_logger.h"

#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "toil/rtlog/base/environment.h"
#include "toil/rtlog/base/fd_write.h"
#include "toil/rtlog/leader/log_server.h"
#include "toil/rtlog/local_delivery.h"

namespace toil::rtlog {
namespace {

using internal::NoteOnStderr;
using internal::WarnOnStderr;

// What a local batch system reads of its jobs' output, made into records.
class OutputToRecords : public batch::OutputListener {
 public:
  explicit OutputToRecords(capture::CapturedLines& lines) : lines_(lines) {}
  void Output(const batch::OutputSource& source, batch::OutputStream stream,
              absl::string_view bytes, absl::Time now) override {
    lines_.Output(SourceOf(source),
                  stream == batch::OutputStream::kStdout ? capture::CapturedLines::kStdout
                                                         : capture::CapturedLines::kStderr,
                  bytes, now);
  }
  bool HasRoom() override { return lines_.HasRoom(); }
  void Ended(const batch::OutputSource& source) override { lines_.Ended(SourceOf(source)); }
  absl::Time Tick(absl::Time now) override { return lines_.Tick(now); }

 private:
  static capture::CapturedLines::Source SourceOf(const batch::OutputSource& source) {
    return {source.key, source.job, source.pid, source.program};
  }
  capture::CapturedLines& lines_;
};

// Process-wide state, as in Toil: one server however many scopes nest.
struct LeaderState {
  std::mutex mu;
  int nesting = 0;
  std::unique_ptr<LogServer> server;
  std::unique_ptr<capture::CapturedLines> lines;  // jobs' output, when read here
  std::unique_ptr<OutputToRecords> listener;
  LogStats last_stats;
  JobLogs last_job_logs;
};

LeaderState& State() {
  static LeaderState* const state = new LeaderState();
  return *state;
}

// The server's options from the scope's: loopback when every job runs on
// this machine, else every interface, advertising the address on the route
// toward the batch system's scheduler.
absl::StatusOr<LogServerOptions> ServerOptions(const RealtimeLoggerOptions& options,
                                               batch::BatchSystem& batch) {
  absl::StatusOr<Level> level = ParseLevel(options.level);
  if (!level.ok()) return level.status();
  const bool local = batch.RunsJobsOnlyLocally();
  // The control plane's SetLevel: jobs that start from now on get the new level,
  // and so does RT_LOG in this process.
  auto set_level = [&batch](Level level) {
    batch.SetEnv(kLevelVariable, std::string(LevelName(level)));
    SetLocalDeliveryLevel(level);
    return absl::OkStatus();
  };
  LogServerOptions server = options.server;
  server.level = *level;
  if (server.listen.bind_host.empty()) server.listen.bind_host = local ? "127.0.0.1" : "0.0.0.0";
  if (!local) server.route_toward = batch.SchedulerHost();
  // Records that name no job (Toil's Python jobs') are named by the pid
  // this machine's batch system started.
  if (local) {
    server.ingest.job_of_process = [&batch](int64_t pid) { return batch.JobOfProcess(pid); };
  }
  server.kind = "workflow";
  server.on_set_level = set_level;
  return server;
}

}  // namespace

RealtimeLogger::RealtimeLogger(batch::BatchSystem& batch_system, RealtimeLoggerOptions options)
    : batch_system_(batch_system) {
  LeaderState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  if (state.nesting++ > 0) {
    if (!options.level.empty()) {
      WarnOnStderr(
          "ignoring a nested request to start real-time logging; the outer "
          "scope's server stays in charge");
    }
    return;
  }
  if (options.level.empty()) return;  // disabled: no server, no variables

  absl::StatusOr<LogServerOptions> server_options = ServerOptions(options, batch_system);
  absl::StatusOr<std::unique_ptr<LogServer>> server =
      server_options.ok() ? LogServer::Start(*server_options, options.sinks)
                          : server_options.status();
  if (!server.ok()) {
    // The workflow runs on without real-time logging; say why, once.
    status_ = server.status();
    NoteOnStderr(absl::StrCat("error: real-time logging is off: ", status_.message()));
    return;
  }
  state.server = *std::move(server);
  state.last_stats = {};
  state.last_job_logs = {};
  for (const auto& [name, value] : state.server->JobEnvironment()) {
    batch_system.SetEnv(name, value);
  }
  if (!server_options->authenticate) {
    batch_system.UnsetEnv(kSecretVariable);
    batch_system.UnsetEnv(kStreamVariable);
  }
  LogServer* running = state.server.get();
  SetLocalDelivery([running](const LogRecord& record) { running->DeliverLocal(record); },
                   server_options->level);
  ListenToJobsOutput(options.captured);
  started_ = true;
}

void RealtimeLogger::ListenToJobsOutput(const capture::CapturedLinesOptions& options) {
  LeaderState& state = State();
  LogServer* running = state.server.get();
  state.lines = std::make_unique<capture::CapturedLines>(
      options, [running] { return running->level(); },
      [running](const LogRecord& record) { running->DeliverLocal(record); });
  state.listener = std::make_unique<OutputToRecords>(*state.lines);
  if (!batch_system_.ListenToOutput(state.listener.get())) {
    state.listener.reset();
    state.lines.reset();
  }
}

RealtimeLogger::~RealtimeLogger() {
  LeaderState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  if (--state.nesting > 0 || !started_) return;
  if (state.listener) {
    batch_system_.ListenToOutput(nullptr);
    state.lines->Stop();  // what it queued reaches the sinks
    state.listener.reset();
    state.lines.reset();
  }
  ClearLocalDelivery();
  state.last_stats = state.server->Stop();
  state.last_job_logs = state.server->job_logs();
  if (state.last_stats.AnyProblem()) {
    WarnOnStderr(absl::StrCat("real-time logging: ", DescribeLogStats(state.last_stats)));
  }
  state.server.reset();
  for (const char* name :
       {kAddressVariable, kLevelVariable, kSecretVariable, kPackedVariable, kStreamVariable}) {
    batch_system_.UnsetEnv(name);
  }
}

std::string RealtimeLogger::Address() {
  LeaderState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  return state.server ? state.server->address() : "";
}

std::string RealtimeLogger::ControlTarget() {
  LeaderState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  return state.server ? state.server->control_target() : "";
}

std::string RealtimeLogger::ControlToken() {
  LeaderState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  return state.server ? state.server->control_token() : "";
}

LogStats RealtimeLogger::Stats() {
  LeaderState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  return state.server ? state.server->stats() : state.last_stats;
}

JobLogs RealtimeLogger::job_logs() {
  LeaderState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  return state.server ? state.server->job_logs() : state.last_job_logs;
}

}  // namespace toil::rtlog
