// A running real-time log server; see log_server.h.
#include "toil/rtlog/leader/log_server.h"

#include <unistd.h>

#include <atomic>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "toil/rtlog/base/environment.h"
#include "toil/rtlog/common/host_port.h"
#include "toil/rtlog/leader/advertised_host.h"
#include "toil/rtlog/leader/control/control_server.h"
#include "toil/rtlog/leader/control/record_ring.h"
#include "toil/rtlog/leader/ingest/dispatcher.h"
#include "toil/rtlog/leader/ingest/udp_server.h"
#include "toil/rtlog/leader/report/job_ledger.h"
#include "toil/rtlog/sinks/terminal_sink.h"
#include "toil/rtlog/wire/datagram_auth.h"
#include "toil/rtlog/wire/datagram_fit.h"
#include "toil/rtlog/wire/packed_datagram.h"

namespace toil::rtlog {

struct LogServer::Parts {
  std::unique_ptr<TerminalSink> default_sink;
  std::unique_ptr<internal::RecordRing> ring;  // for the control plane
  internal::JobLedger ledger;                  // for the end-of-run report
  std::unique_ptr<internal::Dispatcher> dispatcher;
  std::unique_ptr<internal::UdpServer> server;
  std::unique_ptr<internal::ControlServer> control;
  std::string key_id;
  std::atomic<int> levelno{0};
  absl::Time started = absl::Now();
  mutable std::mutex mu;  // stopped and final_stats: stats() may be read
                          // from any thread
  bool stopped = false;
  LogStats final_stats;
};

absl::StatusOr<std::unique_ptr<LogServer>> LogServer::Start(LogServerOptions options,
                                                            std::vector<LogSink*> sinks) {
  if (options.packed_datagram_bytes != 0 &&
      (options.packed_datagram_bytes < internal::kMinPackedBytes ||
       options.packed_datagram_bytes > internal::kMaxDatagramBytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "packed datagrams of ", options.packed_datagram_bytes, " bytes: use 0 (none) or ",
        internal::kMinPackedBytes, " to ", internal::kMaxDatagramBytes));
  }
  auto parts = std::make_unique<Parts>();
  if (options.listen.bind_host.empty()) options.listen.bind_host = "127.0.0.1";
  if (!options.authenticate) {
    options.ingest.secret.clear();
    options.ingest.allow_unsigned = false;
  } else if (options.ingest.secret.empty()) {
    absl::StatusOr<std::string> secret = internal::DatagramAuth::NewSecret();
    if (!secret.ok()) return secret.status();
    options.ingest.secret = *std::move(secret);
  } else if (absl::Status valid =
                 internal::DatagramAuth::FromSecret(options.ingest.secret).status();
             !valid.ok()) {
    return valid;
  }
  if (sinks.empty()) {
    parts->default_sink = std::make_unique<TerminalSink>(STDERR_FILENO);
    sinks.push_back(parts->default_sink.get());
  }
  if (options.control != "off") {
    parts->ring = std::make_unique<internal::RecordRing>(
        internal::RecordRing::Options{.records = options.kept_records});
    sinks.push_back(parts->ring.get());
  }
  sinks.push_back(&parts->ledger);
  parts->levelno.store(LevelNumber(options.level));
  parts->dispatcher = std::make_unique<internal::Dispatcher>(std::move(sinks));
  absl::StatusOr<std::unique_ptr<internal::UdpServer>> server =
      internal::UdpServer::Start({.listen = options.listen,
                                  .ingest = options.ingest,
                                  .stream = options.authenticate && options.stream,
                                  .max_stream_connections = options.max_stream_connections},
                                 parts->dispatcher.get());
  if (!server.ok()) return server.status();
  parts->server = *std::move(server);
  const std::string host = internal::AdvertisedHost(options.listen.bind_host,
                                                    options.advertise_host, options.route_toward);
  const std::string address =
      internal::HostPort{host, parts->server->local_address().port()}.ToString();
  std::unique_ptr<LogServer> log_server(
      new LogServer(std::move(parts), std::move(options), address));
  if (const int stream_port = log_server->parts_->server->stream_port(); stream_port != 0) {
    log_server->stream_address_ = internal::HostPort{host, stream_port}.ToString();
  }
  if (log_server->options_.control != "off") {
    absl::Status control = log_server->StartControl();
    if (!control.ok()) return control;
  }
  return log_server;
}

absl::Status LogServer::StartControl() {
  Parts& parts = *parts_;
  if (!options_.ingest.secret.empty()) {
    absl::StatusOr<std::unique_ptr<internal::DatagramAuth>> auth =
        internal::DatagramAuth::FromSecret(options_.ingest.secret);
    if (auth.ok()) parts.key_id = (*auth)->key_id();
  }
  internal::ControlTarget target{
      .kind = options_.kind,
      .address = address_,
      .key_id = parts.key_id,
      .allow_unsigned = options_.ingest.allow_unsigned,
      .started = parts.started,
      .stats = [this] { return stats(); },
      .level = [this] { return level(); },
      .set_level = [this](Level level) { return ChangeLevel(level); },
      .stop =
          [this] {
            if (!options_.on_stop) {
              return absl::FailedPreconditionError(
                  "this leader runs a workflow; it stops when the workflow ends");
            }
            return options_.on_stop();
          },
      .senders = &parts.server->senders(),
      .ring = parts.ring.get(),
  };
  absl::StatusOr<std::unique_ptr<internal::ControlServer>> control =
      internal::ControlServer::Start(options_.control, std::move(target));
  if (!control.ok()) {
    return absl::Status(control.status().code(),
                        absl::StrCat("the control plane: ", control.status().message()));
  }
  parts.control = *std::move(control);
  return absl::OkStatus();
}

absl::Status LogServer::ChangeLevel(Level level) {
  if (!options_.on_set_level) {
    return absl::FailedPreconditionError(
        absl::StrCat("a standalone server does not hand jobs their environment (its export "
                     "lines do): export ",
                     kLevelVariable, "=", LevelName(level), " where the jobs start instead"));
  }
  absl::Status changed = options_.on_set_level(level);
  if (changed.ok()) parts_->levelno.store(LevelNumber(level));
  return changed;
}

Level LogServer::level() const { return LevelFromNumber(parts_->levelno.load()); }

const std::string& LogServer::control_target() const {
  static const std::string* const none = new std::string();
  return parts_->control ? parts_->control->target() : *none;
}

const std::string& LogServer::control_token() const {
  static const std::string* const none = new std::string();
  return parts_->control ? parts_->control->token() : *none;
}

LogServer::LogServer(std::unique_ptr<Parts> parts, LogServerOptions options, std::string address)
    : parts_(std::move(parts)), options_(std::move(options)), address_(std::move(address)) {}

LogServer::~LogServer() { Stop(); }

std::map<std::string, std::string> LogServer::JobEnvironment() const {
  std::map<std::string, std::string> env = {{kAddressVariable, address_},
                                            {kLevelVariable, std::string(LevelName(level()))}};
  if (!options_.ingest.secret.empty()) env[kSecretVariable] = options_.ingest.secret;
  if (options_.packed_datagram_bytes > 0) {
    env[kPackedVariable] = std::to_string(options_.packed_datagram_bytes);
  }
  if (!stream_address_.empty()) env[kStreamVariable] = stream_address_;
  return env;
}

void LogServer::DeliverLocal(const LogRecord& record) {
  parts_->dispatcher->Dispatch(record, "local");
}

namespace {

LogStats CountsOf(const internal::UdpServer& server, const internal::Dispatcher& dispatcher) {
  LogStats stats = server.stats();
  stats.records = dispatcher.records();  // the leader's own records too
  stats.sink_lines_lost = dispatcher.lost_lines();
  return stats;
}

}  // namespace

LogStats LogServer::stats() const {
  std::lock_guard<std::mutex> lock(parts_->mu);
  if (parts_->stopped) return parts_->final_stats;
  return CountsOf(*parts_->server, *parts_->dispatcher);
}

JobLogs LogServer::job_logs() const {
  JobLogs logs{parts_->ledger.Snapshot(), parts_->ledger.forgotten()};
  // Loss is counted per sending process; a job's is its processes' sum.
  absl::flat_hash_map<absl::string_view, JobLog*> by_job;
  for (JobLog& log : logs.jobs) by_job[log.job] = &log;
  for (const internal::SenderTable::Row& row : parts_->server->senders().Snapshot()) {
    auto found = by_job.find(row.job);
    if (found != by_job.end()) found->second->lost += row.lost;
  }
  return logs;
}

LogStats LogServer::Stop() {
  std::unique_lock<std::mutex> lock(parts_->mu);
  if (parts_->stopped) return parts_->final_stats;
  parts_->server->Stop();
  parts_->dispatcher->Flush();
  parts_->final_stats = CountsOf(*parts_->server, *parts_->dispatcher);
  parts_->stopped = true;
  lock.unlock();  // the control plane's handlers read stats() until it stops
  if (parts_->ring) parts_->ring->Close();
  parts_->control.reset();
  return parts_->final_stats;
}

}  // namespace toil::rtlog
