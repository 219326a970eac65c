// Debian's rsyslog as the benchmarks' outside reference: an rsyslogd
// started for the benchmark alone, writing each message as it came (the raw
// template) to a file, with no parsing of its own and no formatting. It
// receives over one of:
//   kUdp   imudp, one thread, on 127.0.0.1, the leader's receive buffer
//          size (ingest_bench): the least a one-datagram-per-message
//          receiver can do;
//   kTcp   imptcp, with its defaults, newline-framed (stream_bench);
//   kRelp  imrelp, with its defaults: every message acknowledged, as the
//          leader's stream does (stream_bench).
//
//   auto rsyslog = RsyslogReference::Start(dir, RsyslogReference::kUdp, kReceiveBufferBytes);
//   ... send N messages to rsyslog->port() ...
//   RsyslogReference::Outcome outcome = rsyslog->Finish();
//
// rsyslogd and its RELP module come from Debian (scripts/install-deps.sh
// --bench).
#ifndef BENCH_RSYSLOG_REFERENCE_H_
#define BENCH_RSYSLOG_REFERENCE_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace toil::bench {

class RsyslogReference {
 public:
  enum Input { kUdp, kTcp, kRelp };
  // Starts rsyslogd with its configuration, state and output under
  // `dir`/bench_rsyslog, and waits until it writes what it receives.
  // `receive_buffer_bytes`: for kUdp only.
  static absl::StatusOr<std::unique_ptr<RsyslogReference>> Start(const std::string& dir,
                                                                 Input input,
                                                                 int receive_buffer_bytes = 0);
  ~RsyslogReference();

  int port() const { return port_; }

  struct Outcome {
    int64_t lines = 0;     // datagrams written, not counting the probes
    int64_t last_ns = 0;   // CLOCK_MONOTONIC when the last line was seen
    int64_t cpu_us = 0;    // rsyslogd's CPU time, user + system
    long peak_rss_kb = 0;  // rsyslogd's peak resident set
  };
  // Waits until rsyslogd has written nothing for 2 s, then stops it and
  // says what it did.
  Outcome Finish();

 private:
  RsyslogReference(std::string dir, Input input, int port, pid_t pid)
      : dir_(std::move(dir)), input_(input), port_(port), pid_(pid) {}
  void SendProbe() const;
  int64_t Lines() const;  // lines in the output, probes included

  std::string dir_;
  Input input_;
  int port_;
  pid_t pid_;
  int64_t probes_ = 0;
};

}  // namespace toil::bench

#endif  // BENCH_RSYSLOG_REFERENCE_H_
