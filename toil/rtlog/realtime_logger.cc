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
#include "toil/rtlog/internal/datagram_auth.h"
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

RealtimeLoggerStats MakeStats(uint64_t records,
                              const internal::ServerStats& server) {
  RealtimeLoggerStats s;
  s.records = records;
  s.malformed = server.malformed;
  s.dropped = server.dropped;
  s.lost = server.lost;
  s.duplicates = server.duplicates;
  s.unsigned_refused = server.unsigned_refused;
  s.unsigned_accepted = server.unsigned_accepted;
  s.forged = server.forged;
  s.other_run = server.other_run;
  return s;
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

  // Why the workflow runs without real-time logging, said once.
  auto give_up = [this](absl::Status status) {
    status_ = std::move(status);
    Note(absl::StrCat("error: real-time logging is off: ", status_.message()));
  };
  absl::StatusOr<Level> level = ParseLevel(options.level);
  if (!level.ok()) {
    give_up(level.status());
    return;
  }
  internal::UdpServerOptions server_options;
  if (options.authenticate) {
    absl::StatusOr<std::string> secret = internal::DatagramAuth::NewSecret();
    if (!secret.ok()) {
      give_up(secret.status());
      return;
    }
    server_options.secret = *std::move(secret);
    server_options.allow_unsigned = options.allow_unsigned;
  }

  std::vector<LogSink*> sinks = options.sinks;
  if (sinks.empty()) {
    state.default_sink = std::make_unique<TerminalSink>(STDERR_FILENO);
    sinks.push_back(state.default_sink.get());
  }
  state.dispatcher = std::make_unique<internal::Dispatcher>(std::move(sinks));

  const bool local = batch_system.RunsJobsOnlyLocally();
  server_options.bind_host =
      options.bind_host.value_or(local ? "127.0.0.1" : "0.0.0.0");
  server_options.port = options.port;
  server_options.receive_buffer_bytes = options.receive_buffer_bytes;
  absl::StatusOr<std::unique_ptr<internal::UdpServer>> server =
      internal::UdpServer::Start(server_options, state.dispatcher.get());
  if (!server.ok()) {
    state.dispatcher.reset();
    state.default_sink.reset();
    give_up(server.status());
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
  if (!server_options.secret.empty()) {
    batch_system.SetEnv(kSecretVariable, server_options.secret);
  } else {
    batch_system.UnsetEnv(kSecretVariable);
  }
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
  state.last_stats = MakeStats(state.dispatcher->records(), server_stats);
  const RealtimeLoggerStats& s = state.last_stats;
  if (s.malformed + s.dropped + s.lost + s.duplicates + s.unsigned_refused +
          s.forged + s.other_run >
      0) {
    Note(absl::StrCat(
        "warning: real-time logging: ", s.dropped,
        " records dropped by the kernel (receive buffer full), ", s.lost,
        " lost in transit, ", s.duplicates, " duplicates dropped, ",
        s.malformed, " malformed datagrams; refused: ", s.unsigned_refused,
        " unsigned, ", s.forged, " with a bad signature, ", s.other_run,
        " from another run"));
  }
  state.server.reset();
  state.dispatcher.reset();
  state.default_sink.reset();
  state.address.clear();
  batch_system_.UnsetEnv(kAddressVariable);
  batch_system_.UnsetEnv(kLevelVariable);
  batch_system_.UnsetEnv(kSecretVariable);
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
  return MakeStats(state.dispatcher->records(), state.server->stats());
}

}  // namespace toil::rtlog
