// The leader's real-time logging scope; see realtime_logger.h.
#include "toil/rtlog/realtime_logger.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "toil/rtlog/internal/client.h"
#include "toil/rtlog/internal/client_config.h"
#include "toil/rtlog/internal/dispatcher.h"
#include "toil/rtlog/internal/host_port.h"
#include "toil/rtlog/internal/process_info.h"
#include "toil/rtlog/internal/udp_server.h"
#include "toil/rtlog/level.h"
#include "toil/rtlog/terminal_sink.h"

namespace toil::rtlog {
namespace {

// Process-wide state, as in Toil: one server however many scopes nest.
struct LeaderState {
  std::mutex mu;
  int nesting = 0;
  std::unique_ptr<TerminalSink> default_sink;
  std::unique_ptr<internal::Dispatcher> dispatcher;
  std::unique_ptr<internal::UdpServer> server;
  std::string address;
  RealtimeLoggerStats last_stats;
};

LeaderState& State() {
  static LeaderState* const state = new LeaderState();
  return *state;
}

void Note(absl::string_view text) {
  const std::string line = absl::StrCat("toil-rtlog: ", text, "\n");
  (void)!write(STDERR_FILENO, line.data(), line.size());
}

bool IsWildcard(const std::string& host) {
  return host == "0.0.0.0" || host == "::" || host.empty();
}

// This machine's first non-loopback IPv4 address that is up (IPv6 if there is
// no IPv4), found without sending anything; the host name as a last resort.
std::string PublicHost() {
  ifaddrs* list = nullptr;
  std::string v6;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr == nullptr || !(i->ifa_flags & IFF_UP) ||
          (i->ifa_flags & IFF_LOOPBACK)) {
        continue;
      }
      const int family = i->ifa_addr->sa_family;
      if (family != AF_INET && family != AF_INET6) continue;
      const socklen_t length =
          family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
      std::string text = internal::FromSockaddr(i->ifa_addr, length).ToString();
      // ToString gives "ip:0" or "[ip]:0"; keep the ip.
      text = text.substr(0, text.rfind(':'));
      if (family == AF_INET) {
        freeifaddrs(list);
        return text;
      }
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      if (v6.empty() && !IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) {
        v6 = text.substr(1, text.size() - 2);  // without brackets
      }
    }
    freeifaddrs(list);
  }
  return v6.empty() ? internal::HostName() : v6;
}

}  // namespace

RealtimeLogger::RealtimeLogger(batch::BatchSystem& batch_system,
                               RealtimeLoggerOptions options)
    : batch_system_(batch_system) {
  LeaderState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  if (state.nesting++ > 0) {
    if (!options.level.empty()) {
      Note("warning: ignoring a nested request to start real-time logging; "
           "the outer scope's server stays in charge");
    }
    return;
  }
  if (options.level.empty()) return;  // disabled: no server, no variables

  absl::StatusOr<Level> level = ParseLevel(options.level);
  if (!level.ok()) {
    status_ = level.status();
    Note(absl::StrCat("error: real-time logging is off: ", status_.message()));
    return;
  }

  std::vector<LogSink*> sinks = options.sinks;
  if (sinks.empty()) {
    state.default_sink = std::make_unique<TerminalSink>(STDERR_FILENO);
    sinks.push_back(state.default_sink.get());
  }
  state.dispatcher = std::make_unique<internal::Dispatcher>(std::move(sinks));

  const bool local = batch_system.RunsJobsOnlyLocally();
  internal::UdpServerOptions server_options;
  server_options.bind_host =
      options.bind_host.value_or(local ? "127.0.0.1" : "0.0.0.0");
  server_options.port = options.port;
  server_options.receive_buffer_bytes = options.receive_buffer_bytes;
  absl::StatusOr<std::unique_ptr<internal::UdpServer>> server =
      internal::UdpServer::Start(server_options, state.dispatcher.get());
  if (!server.ok()) {
    status_ = server.status();
    Note(absl::StrCat("error: real-time logging is off: ", status_.message()));
    state.dispatcher.reset();
    state.default_sink.reset();
    return;
  }
  state.server = *std::move(server);

  std::string host;
  if (options.advertise_host) {
    host = *options.advertise_host;
  } else if (!IsWildcard(server_options.bind_host)) {
    host = server_options.bind_host;
  } else {
    host = PublicHost();
  }
  const int port = state.server->local_address().port();
  state.address = internal::HostPort{host, port}.ToString();
  state.last_stats = {};

  batch_system.SetEnv(kAddressVariable, state.address);
  batch_system.SetEnv(kLevelVariable, std::string(LevelName(*level)));
  internal::Dispatcher* dispatcher = state.dispatcher.get();
  internal::Client::Instance().SetLocalDelivery(
      [dispatcher](const LogRecord& record) {
        dispatcher->Dispatch(record, "local");
      },
      *level);
  started_ = true;
}

RealtimeLogger::~RealtimeLogger() {
  LeaderState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  if (--state.nesting > 0 || !started_) return;
  internal::Client::Instance().ClearLocalDelivery();
  state.server->Stop();
  const internal::ServerStats server_stats = state.server->stats();
  state.dispatcher->Flush();
  state.last_stats = {state.dispatcher->records(), server_stats.malformed,
                      server_stats.dropped};
  if (server_stats.malformed > 0 || server_stats.dropped > 0) {
    Note(absl::StrCat("warning: real-time logging: ", server_stats.malformed,
                      " malformed datagrams, ", server_stats.dropped,
                      " records dropped by the kernel (receive buffer full)"));
  }
  state.server.reset();
  state.dispatcher.reset();
  state.default_sink.reset();
  state.address.clear();
  batch_system_.UnsetEnv(kAddressVariable);
  batch_system_.UnsetEnv(kLevelVariable);
}

std::string RealtimeLogger::Address() {
  LeaderState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  return state.address;
}

RealtimeLoggerStats RealtimeLogger::Stats() {
  LeaderState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  if (!state.server) return state.last_stats;
  const internal::ServerStats server_stats = state.server->stats();
  return {state.dispatcher->records(), server_stats.malformed,
          server_stats.dropped};
}

}  // namespace toil::rtlog
