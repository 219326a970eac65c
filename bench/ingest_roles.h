// The processes of ingest_bench other than the orchestrator: each is the
// benchmark's binary started again with --mode=send, counter or leader, and
// reads its own flags (defined in ingest_roles.cc).
#ifndef BENCH_INGEST_ROLES_H_
#define BENCH_INGEST_ROLES_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"
#include "toil/rtlog/leader/ingest/ingest_options.h"

// The burst's size, and a sender's number of records (the orchestrator passes
// each its share).
ABSL_DECLARE_FLAG(int64_t, records);

namespace toil::bench {

// The counter's, the leader's and rsyslog's socket receive buffer: the
// leader's default.
inline constexpr int kReceiveBufferBytes = rtlog::kDefaultReceiveBufferBytes;

// --mode=send: --records records to --port, paced to --rate (0: as fast as
// it can), one Python-style record per datagram, or C++ job records packed
// into --pack bytes; signed with --secret if set.
int RunSend();
// --mode=counter: a bare blocking recvmmsg loop that only counts, until
// --expect datagrams or SIGTERM.
int RunCounter();
// --mode=leader: --pipelines UdpServers (sharing the port when more than
// one) into JSON-lines files, until SIGTERM.
int RunLeader();
// The JSON-lines file of pipeline `k` of a leader given --output=`output`.
std::string PipelineFile(const std::string& output, int k);

}  // namespace toil::bench

#endif  // BENCH_INGEST_ROLES_H_
