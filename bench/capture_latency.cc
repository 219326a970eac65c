// How long a line a job prints takes to reach the leader's sink through the
// capture (LocalBatchSystem reading its jobs' pipes in the leader's process,
// for StartToil's real-time logger), with many jobs printing at once: from
// each line's write(2) in the job (its text carries the time) to the sink,
// and how many lines did not arrive.
//
//   bazel run -c opt //bench:capture_latency -- --jobs=100 --rate=1000 --seconds=5 --runs=3
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/latency_sink.h"
#include "toil/batch/local_batch_system.h"
#include "toil/runner/start_toil.h"

ABSL_FLAG(int, jobs, 100, "jobs printing at once");
ABSL_FLAG(double, rate, 1000, "lines a second each job prints");
ABSL_FLAG(double, seconds, 5, "how long each job prints, each run");
ABSL_FLAG(int, runs, 3, "how many runs");
ABSL_FLAG(std::string, printer, "bench/capture_printer", "the job program");

namespace toil::bench {
namespace {

// When a captured line "t=<ns> ..." was written; nullopt for other records.
std::optional<absl::Time> WrittenAt(const rtlog::LogEntry& entry) {
  const absl::string_view text = entry.text_message();
  int64_t written_ns = 0;
  if (entry.logger_name() != "stdout" || !absl::StartsWith(text, "t=") ||
      !absl::SimpleAtoi(text.substr(2, text.find(' ') - 2), &written_ns)) {
    return std::nullopt;
  }
  return absl::FromUnixNanos(written_ns);
}

struct Run {
  Spread spread;
  long printed = 0;
  size_t received = 0;
};

Run Once(int jobs, double rate, double seconds) {
  LatencySink sink(&WrittenAt);
  batch::LocalBatchSystem batch({.max_parallel = jobs, .capture_output = true});
  std::vector<batch::JobSpec> specs;
  const long each = static_cast<long>(rate * seconds);
  for (int i = 1; i <= jobs; ++i) {
    specs.push_back({absl::StrCat("printer-", i),
                     absl::GetFlag(FLAGS_printer),
                     {std::to_string(each), absl::StrCat(rate)}});
  }
  runner::ToilOptions options;
  options.realtime_logging.level = "INFO";
  options.realtime_logging.sinks = {&sink};
  options.report = rtlog::ReportFormat::kNone;
  absl::StatusOr<runner::WorkflowResult> result = runner::StartToil(options, batch, specs);
  if (!result.ok() || result->exit_code != 0) {
    std::fprintf(stderr, "capture_latency: the run failed: %s\n",
                 result.ok() ? "a job failed" : result.status().ToString().c_str());
    std::exit(1);
  }
  const std::vector<double> sorted = sink.Sorted();
  Run run;
  run.printed = each * jobs;
  run.received = sorted.size();
  run.spread = SpreadOf(sorted);
  return run;
}

}  // namespace
}  // namespace toil::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using toil::bench::Run;
  const int jobs = absl::GetFlag(FLAGS_jobs);
  const double rate = absl::GetFlag(FLAGS_rate);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  std::vector<double> p50, p99, max, lost;
  for (int i = 0; i < absl::GetFlag(FLAGS_runs); ++i) {
    const Run run = toil::bench::Once(jobs, rate, seconds);
    std::printf(
        "run %d: %ld printed, %zu received; write to sink p50 %.1f ms, p99 %.1f ms, "
        "max %.1f ms\n",
        i + 1, run.printed, run.received, run.spread.p50 / 1e3, run.spread.p99 / 1e3,
        run.spread.max / 1e3);
    p50.push_back(run.spread.p50 / 1e3);
    p99.push_back(run.spread.p99 / 1e3);
    max.push_back(run.spread.max / 1e3);
    lost.push_back(static_cast<double>(run.printed) - static_cast<double>(run.received));
  }
  std::printf(
      "%d jobs x %.0f lines/s for %.0f s, median (range) of %zu runs: p50 %s ms, "
      "p99 %s ms, max %s ms, lost %s\n",
      jobs, rate, seconds, p50.size(), toil::bench::MedianAndRange(p50, 1).c_str(),
      toil::bench::MedianAndRange(p99, 1).c_str(), toil::bench::MedianAndRange(max, 1).c_str(),
      toil::bench::MedianAndRange(lost, 1).c_str());
  return 0;
}
