// End-to-end latency on a real Slurm cluster: from RT_LOG in a job on a
// compute node (its own network namespace, scripts/slurm-cluster.sh) to the
// leader's sink, over the bridge. The job (outage_job) logs N records, each
// after W microseconds of busy work; the sink takes, for every record, the
// time it arrived minus the record's own `created` time (one clock: the
// nodes are namespaces of this machine). Prints the count, median, p90,
// p99 and maximum, and how long the cluster took to start and stop.
//
//   sudo bazel run -c opt //bench:slurm_latency_bench -- [--records=10000] [--work_us=200]
//
// Needs root (it starts its own cluster and takes it down again).
#include <cstdio>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/latency_sink.h"
#include "tests/slurm_cluster.h"
#include "tests/test_util.h"
#include "toil/batch/slurm_batch_system.h"
#include "toil/runner/realtime_logger.h"

ABSL_FLAG(int, records, 10000, "records the job logs");
ABSL_FLAG(int, work_us, 200, "microseconds of busy work before each record");

namespace toil::bench {
namespace {

int Run() {
  const absl::Time up_start = absl::Now();
  std::string why;
  std::unique_ptr<testing::SlurmCluster> cluster = testing::SlurmCluster::Start(&why);
  if (!cluster) {
    std::fprintf(stderr, "slurm_latency_bench: cannot start a cluster: %s\n", why.c_str());
    return 1;
  }
  const absl::Duration up = absl::Now() - up_start;
  const int records = absl::GetFlag(FLAGS_records);
  batch::SlurmOptions options;
  options.log_dir = absl::StrCat(cluster->dir(), "-logs");
  batch::SlurmBatchSystem slurm(options);
  LatencySink sink;
  std::optional<batch::FinishedJob> done;
  {
    rtlog::RealtimeLogger logger(slurm, {.level = "INFO", .sinks = {&sink}});
    if (!logger.started()) {
      std::fprintf(stderr, "slurm_latency_bench: %s\n", logger.status().ToString().c_str());
      return 1;
    }
    const absl::StatusOr<batch::JobId> id =
        slurm.IssueJob({"latency",
                        testing::Runfile("bench/outage_job"),
                        {absl::StrCat(records), absl::StrCat(absl::GetFlag(FLAGS_work_us))}});
    if (!id.ok()) {
      std::fprintf(stderr, "slurm_latency_bench: %s\n", id.status().ToString().c_str());
      return 1;
    }
    while (!done) done = slurm.WaitForFinishedJob(absl::Minutes(10));
  }
  const rtlog::LogStats stats = rtlog::RealtimeLogger::Stats();
  const absl::Time down_start = absl::Now();
  cluster.reset();
  const absl::Duration down = absl::Now() - down_start;
  const std::vector<double> sorted = sink.Sorted();
  std::printf("cluster: up in %.2f s, down in %.2f s\n", absl::ToDoubleSeconds(up),
              absl::ToDoubleSeconds(down));
  std::printf("job on %s exited %d; %zu of %d records arrived; %s\n", done->host.c_str(),
              done->exit_code, sorted.size(), records, rtlog::DescribeLogStats(stats).c_str());
  const Spread spread = SpreadOf(sorted);
  std::printf(
      "RT_LOG to the leader's sink: median %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\n",
      spread.p50, spread.p90, spread.p99, spread.max);
  return done->exit_code == 0 && sorted.size() == static_cast<size_t>(records) ? 0 : 1;
}

}  // namespace
}  // namespace toil::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return toil::bench::Run();
}
