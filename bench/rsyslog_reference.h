// Debian's rsyslog as ingest_bench's outside reference: an rsyslogd started
// for the benchmark alone, receiving with imudp (one thread, on 127.0.0.1,
// the leader's receive buffer size) and writing each datagram as it came
// (the raw template) to a file. No parsing, no formatting: the least a
// one-datagram-per-message receiver can do.
//
//   auto rsyslog = RsyslogReference::Start(dir, kReceiveBufferBytes);
//   ... send N datagrams to rsyslog->port() ...
//   RsyslogReference::Outcome outcome = rsyslog->Finish();
//
// rsyslogd comes from Debian (scripts/install-deps.sh --bench).
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
  // Starts rsyslogd with its configuration, state and output under
  // `dir`/ingest_bench_rsyslog, and waits until it writes what it receives.
  static absl::StatusOr<std::unique_ptr<RsyslogReference>> Start(const std::string& dir,
                                                                 int receive_buffer_bytes);
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
  RsyslogReference(std::string dir, int port, pid_t pid)
      : dir_(std::move(dir)), port_(port), pid_(pid) {}
  int64_t Lines() const;  // lines in the output, probes included

  std::string dir_;
  int port_;
  pid_t pid_;
  int64_t probes_ = 0;
};

}  // namespace toil::bench

#endif  // BENCH_RSYSLOG_REFERENCE_H_
