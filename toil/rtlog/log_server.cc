// A running real-time log server; see log_server.h.
#include "toil/rtlog/log_server.h"

#include <unistd.h>

#include <mutex>

#include "toil/rtlog/environment.h"
#include "toil/rtlog/internal/common/host_port.h"
#include "toil/rtlog/internal/leader/advertised_host.h"
#include "toil/rtlog/internal/leader/dispatcher.h"
#include "toil/rtlog/internal/leader/udp_server.h"
#include "toil/rtlog/internal/wire/datagram_auth.h"
#include "toil/rtlog/terminal_sink.h"

namespace toil::rtlog {

struct LogServer::Parts {
  std::unique_ptr<TerminalSink> default_sink;
  std::unique_ptr<internal::Dispatcher> dispatcher;
  std::unique_ptr<internal::UdpServer> server;
  std::string secret;
  mutable std::mutex mu;  // stopped and final_stats: stats() may be read
                          // from any thread
  bool stopped = false;
  LogStats final_stats;
};

absl::StatusOr<std::unique_ptr<LogServer>> LogServer::Start(
    LogServerOptions options, std::vector<LogSink*> sinks) {
  auto parts = std::make_unique<Parts>();
  if (options.authenticate) {
    absl::StatusOr<std::string> secret = internal::DatagramAuth::NewSecret();
    if (!secret.ok()) return secret.status();
    parts->secret = *std::move(secret);
  }
  if (sinks.empty()) {
    parts->default_sink = std::make_unique<TerminalSink>(STDERR_FILENO);
    sinks.push_back(parts->default_sink.get());
  }
  parts->dispatcher = std::make_unique<internal::Dispatcher>(std::move(sinks));
  absl::StatusOr<std::unique_ptr<internal::UdpServer>> server =
      internal::UdpServer::Start(
          {.bind_host = options.bind_host,
           .port = options.port,
           .receive_buffer_bytes = options.receive_buffer_bytes,
           .diagnostics = options.diagnostics,
           .secret = parts->secret,
           .allow_unsigned = options.authenticate && options.allow_unsigned},
          parts->dispatcher.get());
  if (!server.ok()) return server.status();
  parts->server = *std::move(server);
  const std::string address =
      internal::HostPort{
          internal::AdvertisedHost(options.bind_host, options.advertise_host,
                                   options.route_toward),
          parts->server->local_address().port()}
          .ToString();
  return std::unique_ptr<LogServer>(
      new LogServer(std::move(parts), std::move(options), address));
}

LogServer::LogServer(std::unique_ptr<Parts> parts, LogServerOptions options,
                     std::string address)
    : parts_(std::move(parts)),
      options_(std::move(options)),
      address_(std::move(address)) {}

LogServer::~LogServer() { Stop(); }

std::map<std::string, std::string> LogServer::JobEnvironment() const {
  std::map<std::string, std::string> env = {
      {kAddressVariable, address_},
      {kLevelVariable, std::string(LevelName(options_.level))}};
  if (!parts_->secret.empty()) env[kSecretVariable] = parts_->secret;
  return env;
}

void LogServer::DeliverLocal(const LogRecord& record) {
  parts_->dispatcher->Dispatch(record, "local");
}

namespace {

LogStats CountsOf(const internal::UdpServer& server,
                  const internal::Dispatcher& dispatcher) {
  LogStats stats = server.stats();
  stats.records = dispatcher.records();  // the leader's own records too
  return stats;
}

}  // namespace

LogStats LogServer::stats() const {
  std::lock_guard<std::mutex> lock(parts_->mu);
  if (parts_->stopped) return parts_->final_stats;
  return CountsOf(*parts_->server, *parts_->dispatcher);
}

LogStats LogServer::Stop() {
  std::lock_guard<std::mutex> lock(parts_->mu);
  if (parts_->stopped) return parts_->final_stats;
  parts_->server->Stop();
  parts_->dispatcher->Flush();
  parts_->final_stats = CountsOf(*parts_->server, *parts_->dispatcher);
  parts_->stopped = true;
  return parts_->final_stats;
}

}  // namespace toil::rtlog
