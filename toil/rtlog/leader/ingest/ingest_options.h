// What every layer of a leader's ingest is configured with, declared once
// and nested (UdpSocketOptions, UdpServerOptions, LogServerOptions and
// RealtimeLoggerOptions hold these rather than repeat their fields):
// where it listens, and what it does with the datagrams it receives.
#ifndef TOIL_RTLOG_LEADER_INGEST_INGEST_OPTIONS_H_
#define TOIL_RTLOG_LEADER_INGEST_INGEST_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace toil::rtlog {

// The socket's receive buffer a leader asks for: it absorbs the bursts the
// leader cannot keep up with (the kernel drops, and the leader counts, what
// does not fit). The leader's own ring between its threads is a quarter of
// it, at most 8 MiB.
inline constexpr int kDefaultReceiveBufferBytes = 32 << 20;

struct ListenOptions {
  // A numeric address: "127.0.0.1", "0.0.0.0", "::1", "::" ("::" takes IPv4
  // too). "": the default, 127.0.0.1 (RealtimeLogger: 127.0.0.1 when every
  // job runs on this machine, else 0.0.0.0).
  std::string bind_host;
  // 0: any free port.
  int port = 0;
  // SO_RCVBUFFORCE when allowed, else SO_RCVBUF (the kernel caps it); 0
  // leaves the system's default.
  int receive_buffer_bytes = kDefaultReceiveBufferBytes;
};

struct IngestOptions {
  // The run's secret (64 hex digits): only datagrams signed with it are
  // accepted. "": not checked (LogServer, with `authenticate`, makes one).
  std::string secret;
  // With a secret: accept unsigned datagrams too (Python jobs cannot sign),
  // and mark them. Forged and other-run datagrams are still refused.
  bool allow_unsigned = false;
  // Where warnings go (malformed or refused datagrams, loss), one line per
  // call; stderr when unset.
  std::function<void(absl::string_view line)> diagnostics;
  // Names the job of a record that names none (Toil's Python jobs send no
  // job) from the pid that sent it: a batch system that runs jobs on this
  // machine knows which processes it started (BatchSystem::JobOfProcess).
  // Unset: such a record is shown under its process name.
  std::function<std::optional<std::string>(int64_t pid)> job_of_process;
};

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_LEADER_INGEST_INGEST_OPTIONS_H_
