// LogStats: what a leader's log server counted, and the one wording every
// summary uses for it (RealtimeLogger's warning, `serve` and `run` when they
// stop).
//
//   LogStats stats = server->Stop();
//   std::cerr << DescribeLogStats(stats);
//   // 1200 records received, 0 malformed, 0 datagrams dropped by the kernel, ...
#ifndef TOIL_RTLOG_BASE_LOG_STATS_H_
#define TOIL_RTLOG_BASE_LOG_STATS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace toil::rtlog {

struct LogStats {
  uint64_t datagrams = 0;   // taken from the socket
  uint64_t records = 0;     // handed to the sinks (from jobs and the leader)
  uint64_t malformed = 0;   // datagrams that were not records
  uint64_t dropped = 0;     // datagrams the kernel dropped (buffer full)
  uint64_t lost = 0;        // records lost in transit (sequence gaps)
  uint64_t duplicates = 0;  // records dropped as seen before
  uint64_t unsigned_refused = 0;
  uint64_t unsigned_accepted = 0;
  uint64_t forged = 0;           // bad signature
  uint64_t other_run = 0;        // signed with another run's secret
  uint64_t sink_lines_lost = 0;  // lines the sinks could not write
  // Stream connections (C++ jobs): accepted, and refused or closed for a
  // failed handshake (not this run's secret), a protocol error or the limit.
  uint64_t stream_connections = 0;
  uint64_t stream_refused = 0;
  // Of the connections, those their peer closed before the handshake ended
  // (a job that gave up waiting and connects again, a port scan): not
  // refusals.
  uint64_t stream_cut_short = 0;
  // Whether the server required signatures (the refusals are then shown
  // even when there are none).
  bool signatures_checked = false;

  // Datagrams refused for their signature, or for the lack of one.
  uint64_t refused() const { return unsigned_refused + forged + other_run; }
  // Whether anything was lost, dropped, malformed, refused or not written.
  bool AnyProblem() const {
    return malformed + dropped + lost + duplicates + refused() + sink_lines_lost + stream_refused >
           0;
  }
};

// What the leader received from one job (every process that named itself
// so), for the end-of-run report. Records are counted as the sinks got them.
struct JobLog {
  struct Line {
    double created = 0;  // seconds since the Unix epoch, as the job said
    int levelno = 0;
    std::string message;           // formatted; cut at kMessageBytes
    bool unsigned_record = false;  // came unsigned (accepted with allow_unsigned)
  };
  static constexpr size_t kLastLines = 5;
  static constexpr size_t kMessageBytes = 240;

  std::string job;   // the job name, else the sending process's name
  std::string host;  // the host of its latest record
  // TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL.
  std::array<uint64_t, 6> records_by_level{};
  uint64_t lost = 0;  // in transit (gaps in its processes' sequence numbers)
  // Of its records, those that came unsigned: anyone could have sent them.
  uint64_t unsigned_records = 0;
  // Its last kLastLines records, oldest first.
  std::vector<Line> last_lines;
  // The last kLastOutputLines lines it printed, captured (the records of
  // logger "stdout" or "stderr"), oldest first: for its report when its
  // output file cannot be read where the leader runs.
  static constexpr size_t kLastOutputLines = 10;
  std::vector<std::string> last_output;

  uint64_t records() const {
    uint64_t total = 0;
    for (uint64_t n : records_by_level) total += n;
    return total;
  }
};

// Every job a leader heard from (at most 10,000; the least recently heard
// from are forgotten first, and counted).
struct JobLogs {
  std::vector<JobLog> jobs;  // in the order their first records arrived
  uint64_t forgotten = 0;
};

// "R records received, M malformed, D datagrams dropped by the kernel, L
// lost in transit, U duplicates dropped" (a packed datagram holds several
// records: the records of a C++ job's dropped datagrams are also among
// those lost in transit, found from its sequence numbers), then, when signatures are checked or
// anything was refused, "; refused: a unsigned, b with a bad signature, c
// from another run; d unsigned accepted", and "; N lines could not be
// written by the sinks" when that happened.
std::string DescribeLogStats(const LogStats& stats);

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_BASE_LOG_STATS_H_
