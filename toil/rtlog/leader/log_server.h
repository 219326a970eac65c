// LogServer: a running real-time log server, the leader's receiving end as
// one object. It listens on a UDP socket (a receive thread that only
// receives), checks, decodes and counts every datagram on its processing
// thread, and hands each record to its sinks. It
// knows what jobs must be told (JobEnvironment) and what it counted (stats).
//
// RealtimeLogger runs one for the length of a workflow's scope, and
// `toil-rtlog serve` runs one on its own:
//
//   absl::StatusOr<std::unique_ptr<LogServer>> server =
//       LogServer::Start({.level = Level::kDebug}, {&my_sink});
//   if (!server.ok()) ...  // bad bind address, port in use: says which
//   for (const auto& [name, value] : (*server)->JobEnvironment()) ...
//   LogStats stats = (*server)->Stop();  // takes in what is queued first
#ifndef TOIL_RTLOG_LEADER_LOG_SERVER_H_
#define TOIL_RTLOG_LEADER_LOG_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/base/log_stats.h"
#include "toil/rtlog/leader/ingest/ingest_options.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace toil::rtlog {

struct LogServerOptions {
  // The lowest level jobs are told to send.
  Level level = Level::kInfo;
  // Where it listens (bind_host "": 127.0.0.1).
  ListenOptions listen;
  // The host put into TOIL_RT_LOGGING_ADDRESS. Default: the bound address
  // if it is a specific one, else this machine's address on the route toward
  // `route_toward` when given, else its first non-loopback address.
  std::optional<std::string> advertise_host;
  // A host the jobs' machines reach (a cluster's controller; see
  // BatchSystem::SchedulerHost), for the default advertised address.
  std::optional<std::string> route_toward;
  // Authentication: hand jobs a secret in TOIL_RT_LOGGING_SECRET (the one
  // in ingest.secret, or a new random one), and refuse (and count)
  // datagrams not signed with it. Off: ingest.secret is ignored.
  bool authenticate = true;
  // What it does with each datagram: its secret, whether unsigned records
  // are accepted (and marked), where warnings go, how records that name no
  // job are named.
  IngestOptions ingest;
  // Jobs are told (TOIL_RT_LOGGING_PACKED) that this server reads packed
  // datagrams of up to this many bytes, several records each, and C++ jobs
  // then pack what they have queued (docs/reference.md, "Packed datagrams").
  // 1024 to 65507; 0: one record per datagram, as a Python leader reads them.
  size_t packed_datagram_bytes = 8192;
  // With authentication: also take stream connections from C++ jobs (TCP,
  // TLS keyed by the secret; acknowledged, resent after a reconnect: no
  // record lost), on the UDP port's number when it is free, and tell jobs
  // where (TOIL_RT_LOGGING_STREAM).
  bool stream = true;
  // The most stream connections open at once (past that a new one closes
  // the oldest still in its handshake, or is closed; counted).
  size_t max_stream_connections = 4096;

  // The control plane (proto/log_control.proto; `toil-rtlog tail`, `status`,
  // `senders`, `level`, `stop`): "" (the default) listens on a Unix socket
  // in a new directory only this user can open; "off" on nothing; a numeric
  // "HOST:PORT" on TCP (opt-in), where every call must carry control_token().
  std::string control;
  // How the control plane names this leader: "serve" or "workflow".
  std::string kind = "serve";
  // What the control plane's SetLevel and Stop do (called from its threads).
  // Unset: they are refused, saying why.
  std::function<absl::Status(Level)> on_set_level;
  std::function<absl::Status()> on_stop;
  // How many recent records the control plane keeps for `tail --last`.
  size_t kept_records = 16384;
};

class LogServer {
 public:
  // Binds and starts receiving. `sinks` (not owned; empty: a TerminalSink on
  // stderr) must outlive the server. Fails with a message naming what was
  // wrong: an address that is not numeric, a port in use, no random source.
  static absl::StatusOr<std::unique_ptr<LogServer>> Start(LogServerOptions options,
                                                          std::vector<LogSink*> sinks = {});
  // Stops first, if Stop() was not called.
  ~LogServer();
  LogServer(const LogServer&) = delete;
  LogServer& operator=(const LogServer&) = delete;

  // What jobs are given: "host:port", or "[v6]:port".
  const std::string& address() const { return address_; }
  // Where jobs open stream connections ("host:port"; "" when it takes none).
  const std::string& stream_address() const { return stream_address_; }
  // TOIL_RT_LOGGING_ADDRESS, _LEVEL, _PACKED (unless 0) and, with
  // authentication, _SECRET and (with `stream`) _STREAM.
  std::map<std::string, std::string> JobEnvironment() const;
  // The level jobs are told (the control plane may change it).
  Level level() const;

  // Where the control plane listens ("unix:/path" or "HOST:PORT"; "" when
  // off), and the token a TCP address requires ("" for the Unix socket).
  const std::string& control_target() const;
  const std::string& control_token() const;

  // Hands a record made in this process (RT_LOG in the leader) to the sinks,
  // from "local".
  void DeliverLocal(const LogRecord& record);

  // Counts so far (while running), or the final ones (once stopped).
  LogStats stats() const;
  // What each job sent so far (or in all, once stopped).
  JobLogs job_logs() const;
  // Takes in every datagram already queued, stops the server's threads,
  // reports what the rate limits held back, flushes the sinks; returns the
  // final counts. Idempotent.
  LogStats Stop();

 private:
  struct Parts;
  LogServer(std::unique_ptr<Parts> parts, LogServerOptions options, std::string address);
  absl::Status StartControl();
  absl::Status ChangeLevel(Level level);

  std::unique_ptr<Parts> parts_;
  LogServerOptions options_;
  std::string address_;
  std::string stream_address_;
};

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_LEADER_LOG_SERVER_H_
