// Stream transport benchmark: real processes, side by side in one run. A
// `toil-rtlog serve` leader (JSON lines to a file) and C++ jobs
// (bench/stream_job.cc, RT_LOG as fast as they can):
//
//   stream, 1 job          N records over the job's stream, waiting policy
//   stream, 4 jobs         N records in all, one stream each, waiting policy
//   datagrams, 1 job       N records as packed, signed datagrams (--stream=false),
//                          dropping policy: what UDP does with the same burst
//   rsyslog imptcp, S      the outside reference (rsyslog_reference.h): Debian's
//   rsyslog imrelp, S      rsyslogd receiving N messages as long as a job's
//                          record in JSON, over plain TCP and over RELP
//                          (acknowledged), from S senders (1 and 4) writing
//                          them as fast as they can, preformatted
//   2000 connections       the leader's memory with 2,000 jobs' streams open
//
// For each run: records received of those logged (lost = the difference),
// time from the jobs' start to the leader's last line, records per second,
// the leader's CPU per record (user + system, from /proc), the leader's
// peak RSS and the largest job's, and the jobs' own warnings (records never
// acknowledged, or not sent). Repeated --runs times; the summary gives each
// figure's median and range.
//
//   bazel run -c opt //bench:stream_bench -- [--records=1000000] [--runs=5] [--dir=/tmp]
//                                             [--references=false]
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bench/file_lines.h"
#include "bench/monotonic_clock.h"
#include "bench/rsyslog_reference.h"
#include "bench/syslog_senders.h"
#include "toil/rtlog/wire/stream_frame.h"
#include "toil/rtlog/wire/stream_tls.h"

ABSL_FLAG(int64_t, records, 1000000, "records per burst (all jobs together)");
ABSL_FLAG(int, runs, 5, "how many times each burst runs");
ABSL_FLAG(int, connections, 2000, "stream connections held open in the memory row");
ABSL_FLAG(std::string, dir, "", "for the leader's output and the jobs' stderr; default $TMPDIR");
ABSL_FLAG(std::string, tool, "toil/cli/toil-rtlog", "the toil-rtlog program");
ABSL_FLAG(std::string, job, "bench/stream_job", "the job program");
ABSL_FLAG(bool, references, true, "also measure rsyslog (imptcp, imrelp) in the same run");

namespace {

struct Result {
  int64_t logged = 0;
  int64_t received = 0;
  double seconds = 0;
  double leader_cpu = 0;  // seconds
  long leader_rss_kb = 0;
  long job_rss_kb = 0;
  std::string warnings;
};

// The process's CPU time so far, in seconds (utime + stime).
double ProcessCpu(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", static_cast<int>(pid));
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return 0;
  char buffer[4096] = {};
  const size_t n = std::fread(buffer, 1, sizeof(buffer) - 1, f);
  std::fclose(f);
  const char* after_name = std::strrchr(buffer, ')');
  if (after_name == nullptr || n == 0) return 0;
  std::vector<std::string> fields = absl::StrSplit(after_name + 2, ' ');
  long utime = 0;
  long stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return 0;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A "Vm...:" line of /proc/<pid>/status, in KiB.
long ProcessMemory(pid_t pid, const char* key) {
  FILE* f = std::fopen(absl::StrCat("/proc/", pid, "/status").c_str(), "r");
  if (f == nullptr) return 0;
  char line[256];
  long kb = 0;
  while (std::fgets(line, sizeof(line), f)) {
    if (std::strncmp(line, key, std::strlen(key)) == 0) kb = std::atol(line + std::strlen(key));
  }
  std::fclose(f);
  return kb;
}

struct Leader {
  pid_t pid = -1;
  int stdout_fd = -1;  // kept open while it runs
  std::map<std::string, std::string> exports;
};

// `toil-rtlog serve` writing JSON lines to `out`; its export lines read;
// its own messages (warnings, the summary when it stops) to `out` + ".err".
Leader StartLeader(const std::string& out, bool stream) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  Leader leader;
  leader.pid = fork();
  if (leader.pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    const int err = open((out + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(err, STDERR_FILENO);
    close(fds[0]);
    const std::string tool = absl::GetFlag(FLAGS_tool);
    const std::string output = "--output=" + out;
    const char* stream_flag = stream ? "--stream=true" : "--stream=false";
    execl(tool.c_str(), tool.c_str(), "serve", "--level=INFO", "--format=jsonl", output.c_str(),
          "--control=off", "--report=none", stream_flag, static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  // The export lines (address, level, packed, secret, and the stream's);
  // the leader keeps its stdout open, so read no further than them.
  const size_t wanted = stream ? 5 : 4;
  std::string text;
  char buffer[4096];
  ssize_t n;
  while (static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) < wanted &&
         (n = read(fds[0], buffer, sizeof(buffer))) > 0) {
    text.append(buffer, n);
  }
  leader.stdout_fd = fds[0];
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, "export ")) continue;
    const size_t equals = line.find('=');
    std::string value(line.substr(equals + 1));
    value.erase(std::remove(value.begin(), value.end(), '\''), value.end());
    leader.exports[std::string(line.substr(0, equals))] = value;
  }
  return leader;
}

void StopLeader(Leader& leader) {
  kill(leader.pid, SIGTERM);
  waitpid(leader.pid, nullptr, 0);
  close(leader.stdout_fd);
}

pid_t StartJob(const Leader& leader, int64_t records, const std::string& name,
               const std::string& overflow, const std::string& err) {
  const pid_t pid = fork();
  if (pid == 0) {
    for (const auto& [key, value] : leader.exports) setenv(key.c_str(), value.c_str(), 1);
    setenv("TOIL_JOB_NAME", name.c_str(), 1);
    setenv("TOIL_RT_LOGGING_OVERFLOW", overflow.c_str(), 1);
    const int fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDERR_FILENO);
    const std::string job = absl::GetFlag(FLAGS_job);
    const std::string n = std::to_string(records);
    execl(job.c_str(), job.c_str(), n.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// The lines of `path` that start with `prefix`, without it, each cut to
// `most` characters, one after another.
std::string JoinedLines(const std::string& path, absl::string_view prefix, size_t most) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return "";
  std::string found;
  char line[4096];
  while (std::fgets(line, sizeof(line), f)) {
    absl::string_view text(line);
    if (!absl::ConsumePrefix(&text, prefix)) continue;
    absl::ConsumeSuffix(&text, "\n");
    absl::StrAppend(&found, found.empty() ? "" : " | ", text.substr(0, most));
  }
  std::fclose(f);
  return found;
}

// A job's own warnings (their lines start so).
std::string Warnings(const std::string& err) {
  return JoinedLines(err, "toil-rtlog: warning: ", 120);
}

// The leader's messages.
std::string LeaderMessages(const std::string& err) { return JoinedLines(err, "", 300); }

Result Burst(const std::string& dir, int jobs, bool stream, const std::string& overflow) {
  const int64_t total = absl::GetFlag(FLAGS_records);
  const std::string out = dir + "/stream_bench.jsonl";
  unlink(out.c_str());
  Leader leader = StartLeader(out, stream);
  const double cpu_before = ProcessCpu(leader.pid);
  const absl::Time start = absl::Now();
  std::vector<pid_t> pids;
  for (int j = 0; j < jobs; ++j) {
    pids.push_back(StartJob(leader, total / jobs, absl::StrCat("bench-", j), overflow,
                            absl::StrCat(dir, "/stream_bench.", j, ".err")));
  }
  Result result;
  result.logged = total / jobs * jobs;
  for (pid_t pid : pids) {
    rusage usage{};
    wait4(pid, nullptr, 0, &usage);
    result.job_rss_kb = std::max(result.job_rss_kb, usage.ru_maxrss);
  }
  // The leader's last line: when the count stops growing (or is complete).
  toil::bench::LineCounter counter(out);
  absl::Time last_growth = absl::Now();
  int64_t seen = counter.Count();
  while (seen < result.logged && absl::Now() - last_growth < absl::Seconds(3)) {
    absl::SleepFor(absl::Milliseconds(5));
    const int64_t now_seen = counter.Count();
    if (now_seen != seen) last_growth = absl::Now();
    seen = now_seen;
  }
  result.received = seen;
  result.seconds = absl::ToDoubleSeconds(last_growth - start);
  result.leader_cpu = ProcessCpu(leader.pid) - cpu_before;
  result.leader_rss_kb = ProcessMemory(leader.pid, "VmHWM:");
  StopLeader(leader);
  // Records short: what the leader said (refusals, loss, its summary).
  if (result.received < result.logged) {
    absl::StrAppend(&result.warnings, "[leader] ", LeaderMessages(out + ".err"), " ");
  }
  unlink((out + ".err").c_str());
  for (int j = 0; j < jobs; ++j) {
    const std::string err = absl::StrCat(dir, "/stream_bench.", j, ".err");
    const std::string warnings = Warnings(err);
    if (!warnings.empty()) absl::StrAppend(&result.warnings, "[job ", j, "] ", warnings, " ");
    unlink(err.c_str());
  }
  unlink(out.c_str());
  return result;
}

// A job's record as the leader writes it (JSON), the `i`th.
std::string ReferenceMessage(int64_t i) {
  return absl::StrCat(
      R"j({"name":"toil-rt","msg":"step )j", i,
      R"j( of 0: aligned 6354 reads in chunk 17, 0.42 s","levelname":"INFO","levelno":20,)j",
      R"j("pathname":"bench/stream_job.cc","filename":"stream_job.cc","module":"stream_job",)j",
      R"j("lineno":29,"funcName":"operator()","created":1764700000.123456,"msecs":123.0,)j",
      R"j("process":4242,"processName":"stream_job","hostname":"node1","job":"bench-0"})j");
}

// N messages from `senders` threads to a fresh rsyslogd over `input`; its
// CPU and peak RSS stand in the leader's columns. `error` says why not.
Result Reference(const std::string& dir, toil::bench::RsyslogReference::Input input, int senders,
                 std::string* error) {
  using toil::bench::RsyslogReference;
  const int64_t total = absl::GetFlag(FLAGS_records);
  auto rsyslog = RsyslogReference::Start(dir, input);
  if (!rsyslog.ok()) {
    *error = std::string(rsyslog.status().message());
    return {};
  }
  const int64_t start_ns = toil::bench::MonotonicNanos();
  std::vector<std::thread> threads;
  std::vector<absl::Status> outcomes(senders);
  for (int t = 0; t < senders; ++t) {
    threads.emplace_back([&, t] {
      const int port = (*rsyslog)->port();
      auto sender = input == RsyslogReference::kTcp ? toil::bench::ConnectTcp(port)
                                                    : toil::bench::ConnectRelp(port);
      if (!sender.ok()) {
        outcomes[t] = sender.status();
        return;
      }
      for (int64_t i = 0; i < total / senders && outcomes[t].ok(); ++i) {
        outcomes[t] = (*sender)->Send(ReferenceMessage(i));
      }
      if (outcomes[t].ok()) outcomes[t] = (*sender)->Finish();
    });
  }
  for (std::thread& thread : threads) thread.join();
  const RsyslogReference::Outcome outcome = (*rsyslog)->Finish();
  for (const absl::Status& status : outcomes) {
    if (!status.ok()) *error = std::string(status.message());
  }
  Result result;
  result.logged = total / senders * senders;
  result.received = outcome.lines;
  result.seconds = static_cast<double>(outcome.last_ns - start_ns) / 1e9;
  result.leader_cpu = static_cast<double>(outcome.cpu_us) / 1e6;
  result.leader_rss_kb = outcome.peak_rss_kb;
  return result;
}

// The leader's RSS with `count` stream connections open (each shook hands
// and said hello).
void HeldConnections(const std::string& dir, int count) {
  const std::string out = dir + "/stream_bench.jsonl";
  Leader leader = StartLeader(out, /*stream=*/true);
  const long before = ProcessMemory(leader.pid, "VmRSS:");
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  auto tls = toil::rtlog::internal::StreamTlsContext::Create(
      leader.exports["TOIL_RT_LOGGING_SECRET"], toil::rtlog::internal::StreamTlsContext::kClient);
  const std::string stream = leader.exports["TOIL_RT_LOGGING_STREAM"];
  const int port = std::atoi(stream.substr(stream.rfind(':') + 1).c_str());
  std::vector<std::pair<int, SSL*>> open;
  for (int i = 0; i < count && tls.ok(); ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) break;
    SSL* ssl = SSL_new((*tls)->get());
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) break;
    std::string hello;
    toil::rtlog::internal::AppendFrame(toil::rtlog::internal::FrameType::kHello, 1,
                                       toil::rtlog::internal::StreamIdBody(100 + i), &hello);
    SSL_write(ssl, hello.data(), static_cast<int>(hello.size()));
    open.emplace_back(fd, ssl);
  }
  absl::SleepFor(absl::Milliseconds(500));  // the leader reads the hellos
  const long with = ProcessMemory(leader.pid, "VmRSS:");
  const long peak = ProcessMemory(leader.pid, "VmHWM:");
  std::printf(
      "%-22s %6zu open; leader RSS %ld KiB before, %ld KiB with them (%.1f KiB each), "
      "peak %ld KiB\n",
      "connections held", open.size(), before, with,
      open.empty() ? 0.0 : static_cast<double>(with - before) / open.size(), peak);
  for (auto& [fd, ssl] : open) {
    SSL_free(ssl);
    close(fd);
  }
  StopLeader(leader);
  unlink(out.c_str());
  unlink((out + ".err").c_str());
}

// One run's line: what `receiver` took in, and at what cost; `more` after.
void PrintRun(int run, const char* name, const char* receiver, const Result& r,
              const std::string& more) {
  std::printf(
      "run %d %-17s %8lld of %8lld received in %6.3f s: %9.0f records/s; %s %.2f us CPU/record, "
      "peak RSS %.1f MiB%s\n",
      run, name, static_cast<long long>(r.received), static_cast<long long>(r.logged), r.seconds,
      r.received / std::max(r.seconds, 1e-9), receiver,
      r.leader_cpu * 1e6 / std::max<int64_t>(r.received, 1), r.leader_rss_kb / 1024.0,
      more.c_str());
  std::fflush(stdout);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void Summarize(const std::string& name, const std::vector<Result>& runs) {
  std::vector<double> rate, cpu, lost, rss, job_rss;
  for (const Result& r : runs) {
    rate.push_back(r.received / std::max(r.seconds, 1e-9));
    cpu.push_back(r.leader_cpu * 1e6 / std::max<int64_t>(r.received, 1));
    lost.push_back(static_cast<double>(r.logged - r.received));
    rss.push_back(r.leader_rss_kb / 1024.0);
    job_rss.push_back(r.job_rss_kb / 1024.0);
  }
  const auto range = [](std::vector<double> v, const char* format) {
    std::sort(v.begin(), v.end());
    return absl::StrFormat("%s (%s-%s)", absl::StrFormat(format, Median(v)),
                           absl::StrFormat(format, v.front()), absl::StrFormat(format, v.back()));
  };
  std::printf(
      "%-22s median (range) of %zu: %s records/s; lost %s; leader %s us CPU/record, peak RSS %s "
      "MiB; job peak RSS %s MiB\n",
      name.c_str(), runs.size(), range(rate, "%.0f").c_str(), range(lost, "%.0f").c_str(),
      range(cpu, "%.2f").c_str(), range(rss, "%.1f").c_str(), range(job_rss, "%.1f").c_str());
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  std::string dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) dir = std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp";
  struct Phase {
    const char* name;
    int jobs;
    bool stream;
    const char* overflow;
  };
  const std::vector<Phase> phases = {{"stream, 1 job", 1, true, "wait:60s"},
                                     {"stream, 4 jobs", 4, true, "wait:60s"},
                                     {"datagrams, 1 job", 1, false, "drop"}};
  using toil::bench::RsyslogReference;
  struct ReferencePhase {
    const char* name;
    RsyslogReference::Input input;
    int senders;
  };
  const std::vector<ReferencePhase> references = {
      {"rsyslog imptcp, 1", RsyslogReference::kTcp, 1},
      {"rsyslog imptcp, 4", RsyslogReference::kTcp, 4},
      {"rsyslog imrelp, 1", RsyslogReference::kRelp, 1},
      {"rsyslog imrelp, 4", RsyslogReference::kRelp, 4}};
  std::map<std::string, std::string> not_measured;
  std::map<std::string, std::vector<Result>> results;
  for (int run = 1; run <= absl::GetFlag(FLAGS_runs); ++run) {
    for (const Phase& phase : phases) {
      const Result r = Burst(dir, phase.jobs, phase.stream, phase.overflow);
      results[phase.name].push_back(r);
      PrintRun(run, phase.name, "leader", r,
               absl::StrFormat("; job peak RSS %.1f MiB %s", r.job_rss_kb / 1024.0, r.warnings));
    }
    for (const ReferencePhase& phase : references) {
      if (!absl::GetFlag(FLAGS_references) || not_measured.count(phase.name) > 0) continue;
      std::string error;
      const Result r = Reference(dir, phase.input, phase.senders, &error);
      if (!error.empty()) {
        not_measured[phase.name] = error;
        continue;
      }
      results[phase.name].push_back(r);
      PrintRun(run, phase.name, "rsyslogd", r, "");
    }
  }
  for (const Phase& phase : phases) Summarize(phase.name, results[phase.name]);
  for (const ReferencePhase& phase : references) {
    if (!absl::GetFlag(FLAGS_references)) break;
    if (not_measured.count(phase.name) > 0) {
      std::printf("%-22s not measured: %s\n", phase.name, not_measured[phase.name].c_str());
    } else {
      Summarize(phase.name, results[phase.name]);
    }
  }
  HeldConnections(dir, absl::GetFlag(FLAGS_connections));
  return 0;
}
