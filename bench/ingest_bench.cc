// Leader ingest benchmark: one run that compares the leader with a bare
// recvmmsg counter, and with Debian's rsyslog, on the same bursts, and
// prints what it measured.
//
//   1. burst:  one process sends N typical records (about 480 bytes of JSON,
//              like a Python job's) with sendmmsg as fast as it can, to a
//              bare counter process; to a leader process (UdpServer,
//              Dispatcher, JsonLinesSink to a file: the real receive path),
//              unsigned and signed (the leader verifies every datagram);
//              the same two packed (several records per datagram, one per
//              line, as C++ jobs send to a C++ leader: so these are C++
//              job records, about 450 bytes each, the message already
//              formatted, with host, job and sequence); and to rsyslogd
//              (imudp, one thread, raw lines to a file: the outside
//              reference; its time ends at its last write).
//   2. paced:  16 sender processes x 50,000 records, paced to 100,000
//              records/s in total (--paced_rate), to the leader and then to
//              rsyslogd, and to a leader of --paced_pipelines receive
//              pipelines (each a socket sharing the port by SO_REUSEPORT,
//              a receive and a processing thread: what several receive
//              threads could gain); then packed (C++ job records), 16
//              senders paced to 2,000,000 records/s for two seconds, to the
//              leader.
// For each: records sent, received, lost, first-to-last time, rate, the
// receiver's CPU time per record and peak RSS, and the CPU per record as a
// ratio of the counter's.
// Lost records are counted two ways: the kernel's drop count (SO_RXQ_OVFL,
// in datagrams: a packed one held many records)
// and the lines missing from the JSON-lines file.
//
//   bazel run -c opt //bench:ingest_bench -- [--records=1000000] [--dir=/tmp]
//       [--packed_rate=2000000] [--packed_bytes=8192]
//
// The processes are this program again, in other modes (--mode=counter,
// leader or send: ingest_roles.h), so each one's memory is its own.
// rsyslogd comes from Debian: scripts/install-deps.sh --bench installs it
// (without it, its row says so).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/file_lines.h"
#include "bench/ingest_roles.h"
#include "bench/monotonic_clock.h"
#include "bench/rsyslog_reference.h"
#include "toil/rtlog/wire/datagram_auth.h"

ABSL_FLAG(std::string, mode, "run", "run (the orchestrator), counter, leader or send");
ABSL_FLAG(int, paced_senders, 16, "sender processes in the paced phase");
ABSL_FLAG(int64_t, paced_records, 50000, "records per paced sender");
ABSL_FLAG(int64_t, paced_rate, 100000, "records per second, all paced senders together");
ABSL_FLAG(std::string, dir, "", "directory for the JSON-lines output; default $TMPDIR or /tmp");
ABSL_FLAG(int, packed_bytes, 8192, "packed phases: the datagram size (a C++ leader's default)");
ABSL_FLAG(int64_t, packed_rate, 2000000, "paced, packed phase: records per second in total");
ABSL_FLAG(int, paced_pipelines, 2,
          "the paced phase's extra row: a leader of this many receive pipelines sharing the "
          "port (SO_REUSEPORT), each a receive and a processing thread; 1: no such row");

namespace {

using toil::bench::kReceiveBufferBytes;
using toil::bench::MonotonicNanos;
using toil::bench::PipelineFile;

// --- the orchestrator ---

struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;
};

Child Start(const std::vector<std::string>& args) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) std::abort();
  Child child;
  child.pid = fork();
  if (child.pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    std::vector<char*> argv;
    char self[PATH_MAX] = {};
    (void)!readlink("/proc/self/exe", self, sizeof(self) - 1);
    argv.push_back(self);
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(self, argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  child.out = fdopen(pipe_fds[0], "r");
  return child;
}

std::string ReadLineStartingWith(Child& child, const char* prefix) {
  char line[1024];
  while (std::fgets(line, sizeof(line), child.out)) {
    if (std::strncmp(line, prefix, std::strlen(prefix)) == 0) return line;
  }
  return "";
}

void Wait(Child& child) {
  int status;
  waitpid(child.pid, &status, 0);
  std::fclose(child.out);
}

struct Result {
  int64_t received = 0;
  uint64_t dropped = 0;
  int64_t first = 0;
  int64_t last = 0;
  long rss_kb = 0;
  int64_t cpu_us = 0;        // the receiver's CPU time, user + system
  bool counts_drops = true;  // the leader reads the kernel's drop count
  double seconds() const { return (last - first) / 1e9; }
};

Result ParseResult(const std::string& line) {
  Result r;
  for (absl::string_view part : absl::StrSplit(line, ' ')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(part, '=');
    const std::string value(absl::StripAsciiWhitespace(kv.second));
    if (kv.first == "received") (void)absl::SimpleAtoi(value, &r.received);
    if (kv.first == "dropped") (void)absl::SimpleAtoi(value, &r.dropped);
    if (kv.first == "first") (void)absl::SimpleAtoi(value, &r.first);
    if (kv.first == "last") (void)absl::SimpleAtoi(value, &r.last);
    if (kv.first == "rss_kb") (void)absl::SimpleAtoi(value, &r.rss_kb);
    if (kv.first == "cpu_us") (void)absl::SimpleAtoi(value, &r.cpu_us);
  }
  return r;
}

// `senders` sender processes, each `per_sender` records to `port` (a share
// of `total_rate`; 0: as fast as it can), signed with `secret` if any,
// packed into `pack`-byte datagrams if not 0; returns when all are done.
void SendAll(const std::string& port, int senders, int64_t per_sender, int64_t total_rate,
             const std::string& secret, int pack) {
  std::vector<Child> children;
  for (int s = 0; s < senders; ++s) {
    children.push_back(
        Start({"--mode=send", "--port=" + port, absl::StrCat("--records=", per_sender),
               absl::StrCat("--rate=", total_rate / senders), absl::StrCat("--sender_id=", s),
               absl::StrCat("--pack=", pack), "--secret=" + secret}));
  }
  for (Child& child : children) Wait(child);
}

// Runs `senders` sender processes against a receiver started with
// `receiver_args`; returns what the receiver reports.
Result RunPhase(std::vector<std::string> receiver_args, int senders, int64_t per_sender,
                int64_t total_rate, const std::string& secret, int pack = 0) {
  if (!secret.empty()) receiver_args.push_back("--secret=" + secret);
  Child receiver = Start(receiver_args);
  const std::string port_line = ReadLineStartingWith(receiver, "PORT ");
  const std::string port = std::string(absl::StripAsciiWhitespace(port_line.substr(5)));
  SendAll(port, senders, per_sender, total_rate, secret, pack);
  // Let the receiver take in what is still queued, then stop it.
  absl::SleepFor(absl::Milliseconds(500));
  kill(receiver.pid, SIGTERM);
  Result result = ParseResult(ReadLineStartingWith(receiver, "RESULT "));
  Wait(receiver);
  return result;
}

void Report(const char* name, int64_t sent, const Result& r, int64_t lines) {
  const int64_t lost = sent - r.received;
  std::printf(
      "%-34s sent %9lld  received %9lld  lost %7lld  kernel-dropped-datagrams %7s  "
      "jsonl-lines %9s  time %7.3f s  rate %8.0f/s  CPU %5.3f us/record  "
      "peak RSS %6.1f MB\n",
      name, static_cast<long long>(sent), static_cast<long long>(r.received),
      static_cast<long long>(lost), r.counts_drops ? absl::StrCat(r.dropped).c_str() : "-",
      lines < 0 ? "-" : absl::StrCat(lines).c_str(), r.seconds(),
      r.seconds() > 0 ? r.received / r.seconds() : 0.0,
      r.received > 0 ? static_cast<double>(r.cpu_us) / r.received : 0.0, r.rss_kb / 1024.0);
}

// `senders` x `per_sender` records at `total_rate` (0: as fast as they can)
// to Debian's rsyslog (imudp, raw lines to a file), or nothing (and why,
// printed) when it cannot run here. Its time runs from the senders' start
// to the last write rsyslogd made.
std::optional<Result> RunRsyslog(int senders, int64_t per_sender, int64_t total_rate,
                                 const std::string& dir) {
  auto rsyslog = toil::bench::RsyslogReference::Start(dir, toil::bench::RsyslogReference::kUdp,
                                                      kReceiveBufferBytes);
  if (!rsyslog.ok()) {
    std::printf("  rsyslog imudp: not measured: %s\n",
                std::string(rsyslog.status().message()).c_str());
    return std::nullopt;
  }
  Result result;
  result.counts_drops = false;
  result.first = MonotonicNanos();
  SendAll(absl::StrCat((*rsyslog)->port()), senders, per_sender, total_rate, "", 0);
  const toil::bench::RsyslogReference::Outcome outcome = (*rsyslog)->Finish();
  result.received = outcome.lines;
  result.last = outcome.last_ns;
  result.cpu_us = outcome.cpu_us;
  result.rss_kb = outcome.peak_rss_kb;
  return result;
}

double CpuPerRecord(const Result& r) { return r.received > 0 ? 1.0 * r.cpu_us / r.received : 0.0; }

// The burst, side by side: the bare counter, the leader unsigned and signed,
// one record per datagram and packed, and rsyslog. Returns whether the
// leader received every record every time.
bool RunBursts(int64_t n, const std::string& dir) {
  const std::string file = dir + "/ingest_bench_burst.jsonl";
  const std::string secret = *toil::rtlog::internal::DatagramAuth::NewSecret();
  const int pack = absl::GetFlag(FLAGS_packed_bytes);
  std::printf("burst: 1 sender, %lld records as fast as it can (sendmmsg)\n",
              static_cast<long long>(n));
  Result bare = RunPhase({"--mode=counter", absl::StrCat("--expect=", n)}, 1, n, 0, "");
  bare.counts_drops = false;
  Report("  bare recvmmsg counter", n, bare, -1);
  bool ok = true;
  std::string ratios;
  for (const int packing : {0, pack}) {
    for (const bool sign : {false, true}) {
      const Result leader =
          RunPhase({"--mode=leader", "--output=" + file}, 1, n, 0, sign ? secret : "", packing);
      const int64_t lines = toil::bench::CountFileLines(file);
      const std::string kind =
          absl::StrCat(packing ? absl::StrCat("packed ", packing, " B") : "1 record/datagram",
                       sign ? ", signed" : "");
      Report(absl::StrCat("  leader, ", kind).c_str(), n, leader, lines);
      absl::StrAppendFormat(&ratios, "%s%s %.2fx", ratios.empty() ? "" : ", ", kind,
                            CpuPerRecord(leader) / CpuPerRecord(bare));
      ok = ok && leader.received == n && lines == n;
    }
  }
  std::remove(file.c_str());
  if (std::optional<Result> rsyslog = RunRsyslog(1, n, 0, dir)) {
    Report("  rsyslog imudp (reference)", n, *rsyslog, rsyslog->received);
    absl::StrAppendFormat(&ratios, ", rsyslog %.2fx", CpuPerRecord(*rsyslog) / CpuPerRecord(bare));
  }
  std::printf("  CPU per record / bare counter's: %s\n", ratios.c_str());
  return ok;
}

int RunAll() {
  std::string dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) dir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  const int64_t n = absl::GetFlag(FLAGS_records);
  const std::string paced_file = dir + "/ingest_bench_paced.jsonl";
  const std::string secret;  // the paced phases: unsigned
  const bool bursts_ok = RunBursts(n, dir);
  const int pack = absl::GetFlag(FLAGS_packed_bytes);

  const int senders = absl::GetFlag(FLAGS_paced_senders);
  const int64_t per = absl::GetFlag(FLAGS_paced_records);
  const int64_t rate = absl::GetFlag(FLAGS_paced_rate);
  std::printf("paced: %d senders x %lld records, %lld records/s in total\n", senders,
              static_cast<long long>(per), static_cast<long long>(rate));
  const Result paced =
      RunPhase({"--mode=leader", "--output=" + paced_file}, senders, per, rate, secret);
  const int64_t paced_lines = toil::bench::CountFileLines(paced_file);
  Report("  leader, 1 record/datagram", senders * per, paced, paced_lines);
  const int pipelines = absl::GetFlag(FLAGS_paced_pipelines);
  bool shared_ok = true;
  if (pipelines > 1) {
    const Result shared = RunPhase(
        {"--mode=leader", "--output=" + paced_file, absl::StrCat("--pipelines=", pipelines)},
        senders, per, rate, secret);
    int64_t lines = 0;
    for (int k = 0; k < pipelines; ++k) {
      lines += toil::bench::CountFileLines(PipelineFile(paced_file, k));
      if (k > 0) std::remove(PipelineFile(paced_file, k).c_str());
    }
    Report(absl::StrCat("  leader, ", pipelines, " SO_REUSEPORT pipelines").c_str(), senders * per,
           shared, lines);
    shared_ok = shared.received == senders * per && lines == senders * per;
  }
  if (std::optional<Result> rsyslog = RunRsyslog(senders, per, rate, dir)) {
    Report("  rsyslog imudp (reference)", senders * per, *rsyslog, rsyslog->received);
  }
  const int64_t packed_rate = absl::GetFlag(FLAGS_packed_rate);
  const int64_t packed_per = packed_rate / senders;  // a second's worth per sender
  std::printf("paced, packed: %d senders x %lld records, %lld records/s in total\n", senders,
              static_cast<long long>(packed_per * 2), static_cast<long long>(packed_rate));
  const Result paced_packed = RunPhase({"--mode=leader", "--output=" + paced_file}, senders,
                                       packed_per * 2, packed_rate, secret, pack);
  const int64_t paced_packed_lines = toil::bench::CountFileLines(paced_file);
  Report(absl::StrCat("  leader, packed ", pack, " B").c_str(), senders * packed_per * 2,
         paced_packed, paced_packed_lines);
  std::remove(paced_file.c_str());
  const bool ok = bursts_ok && shared_ok && paced.received == senders * per &&
                  paced_lines == senders * per &&
                  paced_packed.received == senders * packed_per * 2 &&
                  paced_packed_lines == senders * packed_per * 2;
  std::printf("%s\n", ok ? "no record lost" : "RECORDS LOST");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "send") return toil::bench::RunSend();
  if (mode == "counter") return toil::bench::RunCounter();
  if (mode == "leader") return toil::bench::RunLeader();
  return RunAll();
}
