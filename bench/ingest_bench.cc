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
//              rsyslogd; then packed (C++ job records), 16 senders paced to 2,000,000
//              records/s for two seconds, to the leader.
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
// leader or send), so each one's memory is its own. rsyslogd comes from
// Debian: scripts/install-deps.sh --bench installs it (without it, its row
// says so).
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
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
#include "bench/rsyslog_reference.h"
#include "bench/typical_record.h"
#include "toil/rtlog/internal/wire/datagram_auth.h"
#include "toil/rtlog/internal/leader/dispatcher.h"
#include "toil/rtlog/internal/leader/udp_server.h"
#include "toil/rtlog/internal/leader/udp_socket.h"
#include "toil/rtlog/internal/wire/record_encoder.h"
#include "toil/rtlog/json_lines_sink.h"

ABSL_FLAG(std::string, mode, "run", "run (the orchestrator), counter, leader or send");
ABSL_FLAG(int64_t, records, 1000000, "records in the burst");
ABSL_FLAG(int, paced_senders, 16, "sender processes in the paced phase");
ABSL_FLAG(int64_t, paced_records, 50000, "records per paced sender");
ABSL_FLAG(int64_t, paced_rate, 100000, "records per second, all paced senders together");
ABSL_FLAG(std::string, dir, "", "directory for the JSON-lines output; default $TMPDIR or /tmp");
// For the child modes.
ABSL_FLAG(int, port, 0, "send: where to");
ABSL_FLAG(int64_t, rate, 0, "send: records per second (0: as fast as possible)");
ABSL_FLAG(int, sender_id, 0, "send: which sender this is");
ABSL_FLAG(std::string, output, "", "leader: the JSON-lines file");
ABSL_FLAG(int64_t, expect, 0, "counter, leader: stop after this many records (or SIGTERM)");
ABSL_FLAG(std::string, secret, "", "send, leader: the run's secret (signed bursts pass it on)");
ABSL_FLAG(int, packed_bytes, 8192, "packed phases: the datagram size (a C++ leader's default)");
ABSL_FLAG(int64_t, packed_rate, 2000000, "paced, packed phase: records per second in total");
ABSL_FLAG(int, pack, 0,
          "send: pack records into datagrams of up to this many bytes, one per line (as a C++ "
          "job does for a leader that says TOIL_RT_LOGGING_PACKED); 0: one record each");

namespace {

// The counter's, the leader's and rsyslog's socket receive buffer.
constexpr int kReceiveBufferBytes = 32 << 20;

int64_t NowNanos() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

// This process's CPU time (user + system) so far, in microseconds.
int64_t CpuMicros() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * int64_t{1000000} +
         usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

// Peak resident set size of this process, in kB (VmHWM).
long PeakRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// A typical record from a Python job, numbered.
int TypicalRecord(int sender, int64_t i, char* out, size_t size) {
  return std::snprintf(
      out, size,
      "{\"name\": \"toil-rt\", \"msg\": \"Aligned %%d reads for sample %%s in "
      "%%.2f s\", \"args\": [%lld, \"NA12878\", 3.14159], \"levelname\": "
      "\"INFO\", \"levelno\": 20, \"pathname\": "
      "\"/home/user/workflows/align/steps.py\", \"filename\": \"steps.py\", "
      "\"module\": \"steps\", \"exc_info\": null, \"exc_text\": null, "
      "\"stack_info\": null, \"lineno\": 117, \"funcName\": \"align_chunk\", "
      "\"created\": 1763920000.123456, \"msecs\": 123.0, \"relativeCreated\": "
      "5321.42, \"thread\": 140234567890123, \"threadName\": \"MainThread\", "
      "\"processName\": \"sender-%d\", \"process\": %d}",
      static_cast<long long>(i), sender, 10000 + sender);
}

std::atomic<bool> g_stop{false};
void OnTerm(int) { g_stop.store(true); }

// The same record as a C++ job sends it (what TOIL_RT_LOGGING_PACKED is for):
// the message already formatted, no `args`, with the job's host, name and
// its stream's sequence number, encoded by the job's own encoder.
void TypicalCppRecord(int sender, int64_t i, std::string* out) {
  static toil::rtlog::LogRecord record = toil::bench::TypicalRecord();
  record.set_msg(absl::StrCat("Aligned ", i, " reads for sample NA12878 in 3.14 s"));
  record.set_process_name(absl::StrCat("sender-", sender));
  record.set_process(10000 + sender);
  record.set_stream(0x5eed0000u + static_cast<uint64_t>(sender));
  record.set_seq(static_cast<uint64_t>(i) + 1);
  out->clear();
  toil::rtlog::internal::EncodeRecord(record, out);
}

// The next datagram into `out`: one Python-style record (`pack` 0) or as
// many C++ job records as fit in `pack` bytes, one per line, signed when
// `auth` is set. Returns its size; `*records` is how many it holds.
size_t NextDatagram(int sender, int64_t first, int64_t left, size_t pack,
                    toil::rtlog::internal::DatagramAuth* auth, std::string* out,
                    int* records) {
  const size_t trailer = auth != nullptr ? toil::rtlog::internal::DatagramAuth::kTrailerBytes : 0;
  char python[1024];
  std::string cpp;
  out->clear();
  *records = 0;
  while (*records < left) {
    absl::string_view record;
    if (pack == 0) {
      record = absl::string_view(
          python, TypicalRecord(sender, first + *records, python, sizeof(python)));
    } else {
      TypicalCppRecord(sender, first + *records, &cpp);
      record = cpp;
    }
    const size_t grown = out->size() + (out->empty() ? 0 : 1) + record.size() + trailer;
    if (*records > 0 && grown > pack) break;
    if (!out->empty()) out->push_back('\n');
    out->append(record.data(), record.size());
    ++*records;
  }
  if (auth != nullptr) auth->Sign(out);
  return out->size();
}

// --- send: N records, sendmmsg batches of 64 datagrams, optionally paced ---
int RunSend() {
  const int64_t n = absl::GetFlag(FLAGS_records);
  const int64_t rate = absl::GetFlag(FLAGS_rate);
  const int id = absl::GetFlag(FLAGS_sender_id);
  const size_t pack = static_cast<size_t>(absl::GetFlag(FLAGS_pack));
  std::unique_ptr<toil::rtlog::internal::DatagramAuth> auth;
  if (!absl::GetFlag(FLAGS_secret).empty()) {
    auth = *toil::rtlog::internal::DatagramAuth::FromSecret(absl::GetFlag(FLAGS_secret));
  }
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(absl::GetFlag(FLAGS_port));
  connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  constexpr int kBatch = 64;
  static std::string datagrams[kBatch];
  mmsghdr messages[kBatch];
  iovec iovecs[kBatch];
  const int64_t start = NowNanos();
  int64_t sent = 0;
  while (sent < n) {
    if (rate) {
      // Absolute schedule: record `sent` is due at start + sent / rate.
      const int64_t due = start + sent * 1000000000 / rate;
      timespec when{static_cast<time_t>(due / 1000000000), static_cast<long>(due % 1000000000)};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &when, nullptr);
    }
    // Paced: 16 records at a time; else as many datagrams as a batch holds.
    int64_t batch_records = 0;
    int batch = 0;
    while (batch < kBatch && sent + batch_records < n && (!rate || batch_records < 16)) {
      int records = 0;
      const int64_t left = std::min<int64_t>(n - sent - batch_records, rate ? 16 : n);
      NextDatagram(id, sent + batch_records, left, pack, auth.get(), &datagrams[batch],
                   &records);
      iovecs[batch] = {datagrams[batch].data(), datagrams[batch].size()};
      messages[batch] = {};
      messages[batch].msg_hdr.msg_iov = &iovecs[batch];
      messages[batch].msg_hdr.msg_iovlen = 1;
      batch_records += records;
      ++batch;
    }
    int done = 0;
    while (done < batch) {
      const int k = sendmmsg(fd, messages + done, batch - done, 0);
      if (k <= 0) {
        if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS) continue;
        std::perror("sendmmsg");
        return 1;
      }
      done += k;
    }
    sent += batch_records;
  }
  std::printf("sent %lld in %.3f s\n", static_cast<long long>(sent),
              (NowNanos() - start) / 1e9);
  return 0;
}

// --- counter: a bare recvmmsg loop that only counts ---
int RunCounter() {
  // Configured as the leader's socket is, but blocking: a bare loop.
  toil::rtlog::internal::UdpSocketOptions options;
  options.receive_buffer_bytes = kReceiveBufferBytes;
  options.nonblocking = false;
  const auto bound = toil::rtlog::internal::BindUdpSocket(options);
  if (!bound.ok()) return 1;
  const int fd = bound->fd;
  std::printf("PORT %d\n", bound->address.port());
  std::fflush(stdout);
  signal(SIGTERM, &OnTerm);
  const int64_t expect = absl::GetFlag(FLAGS_expect);
  constexpr int kBatch = 64;
  static char buffers[kBatch][65536];
  mmsghdr messages[kBatch];
  iovec iovecs[kBatch];
  for (int i = 0; i < kBatch; ++i) {
    iovecs[i] = {buffers[i], sizeof(buffers[i])};
    messages[i] = {};
    messages[i].msg_hdr.msg_iov = &iovecs[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  timeval timeout{0, 100000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  int64_t count = 0;
  int64_t first = 0;
  int64_t last = 0;
  while (count < expect && !g_stop.load()) {
    const int n = recvmmsg(fd, messages, kBatch, 0, nullptr);
    if (n <= 0) continue;
    last = NowNanos();
    if (count == 0) first = last;
    count += n;
  }
  std::printf("RESULT received=%lld dropped=0 first=%lld last=%lld rss_kb=%ld cpu_us=%lld\n",
              static_cast<long long>(count), static_cast<long long>(first),
              static_cast<long long>(last), PeakRssKb(), static_cast<long long>(CpuMicros()));
  return 0;
}

// A sink that notes when the first and the last record reached the sinks.
class TimingSink : public toil::rtlog::LogSink {
 public:
  void Send(const toil::rtlog::LogEntry&) override {
    last_ = NowNanos();
    if (count_++ == 0) first_ = last_;
  }
  int64_t count_ = 0;
  int64_t first_ = 0;
  int64_t last_ = 0;
};

// --- leader: the real receive path, into a JSON-lines file ---
int RunLeader() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  auto jsonl = toil::rtlog::JsonLinesSink::Open(absl::GetFlag(FLAGS_output));
  if (!jsonl.ok()) {
    std::fprintf(stderr, "%s\n", std::string(jsonl.status().message()).c_str());
    return 1;
  }
  TimingSink timing;
  toil::rtlog::internal::Dispatcher dispatcher({jsonl->get(), &timing});
  toil::rtlog::internal::UdpServerOptions options;
  options.secret = absl::GetFlag(FLAGS_secret);
  auto server = toil::rtlog::internal::UdpServer::Start(options, &dispatcher);
  if (!server.ok()) return 1;
  std::printf("PORT %d\n", (*server)->local_address().port());
  std::fflush(stdout);
  int signal_number;
  sigwait(&stop, &signal_number);
  (*server)->Stop();
  dispatcher.Flush();
  const auto stats = (*server)->stats();
  std::printf("RESULT received=%lld dropped=%llu first=%lld last=%lld rss_kb=%ld "
              "cpu_us=%lld malformed=%llu refused=%llu\n",
              static_cast<long long>(timing.count_),
              static_cast<unsigned long long>(stats.dropped),
              static_cast<long long>(timing.first_), static_cast<long long>(timing.last_),
              PeakRssKb(), static_cast<long long>(CpuMicros()),
              static_cast<unsigned long long>(stats.malformed),
              static_cast<unsigned long long>(stats.forged + stats.unsigned_refused +
                                              stats.other_run));
  return 0;
}

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
  int64_t cpu_us = 0;  // the receiver's CPU time, user + system
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
    children.push_back(Start({"--mode=send", "--port=" + port,
                              absl::StrCat("--records=", per_sender),
                              absl::StrCat("--rate=", total_rate / senders),
                              absl::StrCat("--sender_id=", s),
                              absl::StrCat("--pack=", pack), "--secret=" + secret}));
  }
  for (Child& child : children) Wait(child);
}

// Runs `senders` sender processes against a receiver started with
// `receiver_args`; returns what the receiver reports.
Result RunPhase(std::vector<std::string> receiver_args, int senders,
                int64_t per_sender, int64_t total_rate, const std::string& secret,
                int pack = 0) {
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
  std::printf("%-34s sent %9lld  received %9lld  lost %7lld  kernel-dropped-datagrams %7s  "
              "jsonl-lines %9s  time %7.3f s  rate %8.0f/s  CPU %5.3f us/record  "
              "peak RSS %6.1f MB\n",
              name, static_cast<long long>(sent), static_cast<long long>(r.received),
              static_cast<long long>(lost),
              r.counts_drops ? absl::StrCat(r.dropped).c_str() : "-",
              lines < 0 ? "-" : absl::StrCat(lines).c_str(), r.seconds(),
              r.seconds() > 0 ? r.received / r.seconds() : 0.0,
              r.received > 0 ? static_cast<double>(r.cpu_us) / r.received : 0.0,
              r.rss_kb / 1024.0);
}

// `senders` x `per_sender` records at `total_rate` (0: as fast as they can)
// to Debian's rsyslog (imudp, raw lines to a file), or nothing (and why,
// printed) when it cannot run here. Its time runs from the senders' start
// to the last write rsyslogd made.
std::optional<Result> RunRsyslog(int senders, int64_t per_sender, int64_t total_rate,
                                 const std::string& dir) {
  auto rsyslog = toil::bench::RsyslogReference::Start(dir, kReceiveBufferBytes);
  if (!rsyslog.ok()) {
    std::printf("  rsyslog imudp: not measured: %s\n",
                std::string(rsyslog.status().message()).c_str());
    return std::nullopt;
  }
  Result result;
  result.counts_drops = false;
  result.first = NowNanos();
  SendAll(absl::StrCat((*rsyslog)->port()), senders, per_sender, total_rate, "", 0);
  const toil::bench::RsyslogReference::Outcome outcome = (*rsyslog)->Finish();
  result.received = outcome.lines;
  result.last = outcome.last_ns;
  result.cpu_us = outcome.cpu_us;
  result.rss_kb = outcome.peak_rss_kb;
  return result;
}

double CpuPerRecord(const Result& r) {
  return r.received > 0 ? 1.0 * r.cpu_us / r.received : 0.0;
}

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
      const Result leader = RunPhase({"--mode=leader", "--output=" + file}, 1, n, 0,
                                     sign ? secret : "", packing);
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
  const bool ok = bursts_ok && paced.received == senders * per &&
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
  if (mode == "send") return RunSend();
  if (mode == "counter") return RunCounter();
  if (mode == "leader") return RunLeader();
  return RunAll();
}
