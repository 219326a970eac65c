// Latency of the stream transport: how long a record takes from RT_LOG in
// a job to the leader's sink, at a paced rate. The leader is a LogServer in
// this process, its sink taking each record's arrival time minus its
// `created` time (one machine, one clock); the job is a real process
// (bench/stream_job, paced, with the waiting overflow policy). Each run
// prints the median, p90, p99 and maximum; the summary gives each
// percentile's median and range over the runs.
//
//   bazel run -c opt //bench:stream_latency -- [--rate=100000] [--seconds=5] [--runs=5]
//       [--stream=false]   the same over packed, signed datagrams
//
// Under packet loss: run it inside a network namespace whose loopback drops
// packets at random (docs/performance.md gives the commands).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/latency_sink.h"
#include "toil/rtlog/leader/log_server.h"

ABSL_FLAG(double, rate, 100000, "records a second the job logs");
ABSL_FLAG(double, seconds, 5, "how long the job logs, each run");
ABSL_FLAG(int, runs, 5, "how many runs");
ABSL_FLAG(bool, stream, true, "over a stream (false: packed, signed datagrams)");
ABSL_FLAG(std::string, job, "bench/stream_job", "the job program");

namespace toil::bench {
namespace {

struct Run {
  Spread spread;
  size_t received = 0;
  long logged = 0;
};

// Starts the job with the leader's variables; its stderr (a copy of every
// record) goes to /dev/null.
pid_t StartJob(const std::map<std::string, std::string>& env, long records, double rate) {
  const pid_t pid = fork();
  if (pid == 0) {
    for (const auto& [key, value] : env) setenv(key.c_str(), value.c_str(), 1);
    setenv("TOIL_JOB_NAME", "paced", 1);
    setenv("TOIL_RT_LOGGING_OVERFLOW", "wait:60s", 1);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDERR_FILENO);
    const std::string job = absl::GetFlag(FLAGS_job);
    const std::string n = std::to_string(records);
    const std::string r = absl::StrCat(rate);
    execl(job.c_str(), job.c_str(), n.c_str(), "1", r.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

Run Once(double rate, double seconds, bool stream) {
  LatencySink sink;
  auto server = rtlog::LogServer::Start(
      {.level = rtlog::Level::kInfo, .stream = stream, .control = "off"}, {&sink});
  if (!server.ok()) {
    std::fprintf(stderr, "stream_latency: %s\n", server.status().ToString().c_str());
    std::exit(1);
  }
  Run run;
  run.logged = static_cast<long>(rate * seconds);
  const pid_t job = StartJob((*server)->JobEnvironment(), run.logged, rate);
  int status = 0;
  waitpid(job, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "stream_latency: the job failed (status %d)\n", status);
  }
  (*server)->Stop();
  const std::vector<double> sorted = sink.Sorted();
  run.received = sorted.size();
  run.spread = SpreadOf(sorted);
  return run;
}

}  // namespace
}  // namespace toil::bench

int main(int argc, char** argv) {
  using toil::bench::Run;
  absl::ParseCommandLine(argc, argv);
  const double rate = absl::GetFlag(FLAGS_rate);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const bool stream = absl::GetFlag(FLAGS_stream);
  const int runs = absl::GetFlag(FLAGS_runs);
  if (rate <= 0 || seconds <= 0 || runs < 1) {
    std::fprintf(stderr,
                 "stream_latency: --rate and --seconds must be above 0, --runs 1 or more\n");
    return 2;
  }
  std::vector<double> p50, p90, p99, max;
  for (int i = 1; i <= runs; ++i) {
    const Run run = toil::bench::Once(rate, seconds, stream);
    std::printf(
        "run %d: %zu of %ld received; median %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\n", i,
        run.received, run.logged, run.spread.p50, run.spread.p90, run.spread.p99, run.spread.max);
    std::fflush(stdout);
    p50.push_back(run.spread.p50);
    p90.push_back(run.spread.p90);
    p99.push_back(run.spread.p99);
    max.push_back(run.spread.max);
  }
  std::printf(
      "%s at %.0f records/s, median (range) of %d runs: median %s us, p90 %s us, p99 %s us, "
      "max %s us\n",
      stream ? "stream" : "datagrams", rate, runs, toil::bench::MedianAndRange(p50, 0).c_str(),
      toil::bench::MedianAndRange(p90, 0).c_str(), toil::bench::MedianAndRange(p99, 0).c_str(),
      toil::bench::MedianAndRange(max, 0).c_str());
  return 0;
}
