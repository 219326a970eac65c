// A job of the demo workflow: pretends to align a chunk of reads, and reports
// its progress with RT_LOG as it goes, so the leader's terminal shows every
// job's lines interleaved as they happen.
//
//   demo_job [--steps N] [--step_ms MS]
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "toil/rtlog/rt_log.h"

ABSL_FLAG(int, steps, 5, "How many chunks to work through.");
ABSL_FLAG(int, step_ms, 300, "Milliseconds of pretend work per chunk.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "demo_job [--steps N] [--step_ms MS]: a job of the demo workflow; it pretends to align "
      "reads and reports its progress with RT_LOG");
  absl::ParseCommandLine(argc, argv);
  const char* name = std::getenv("TOIL_JOB_NAME");
  const std::string job = name ? name : "demo";
  std::mt19937 rng(std::hash<std::string>()(job));
  const int steps = absl::GetFlag(FLAGS_steps);

  RT_LOG(INFO) << "starting on " << steps << " chunks";
  long total = 0;
  for (int step = 1; step <= steps; ++step) {
    absl::SleepFor(
        absl::Milliseconds(absl::GetFlag(FLAGS_step_ms) + static_cast<int>(rng() % 200)));
    const int reads = 1000 + static_cast<int>(rng() % 9000);
    total += reads;
    RT_LOG(DEBUG) << "chunk " << step << ": seed " << rng() % 1000;
    RT_LOG(INFO) << "chunk " << step << "/" << steps << ": aligned " << reads << " reads";
    RT_LOG_IF(WARNING, reads < 2000) << "chunk " << step << " has only " << reads << " reads";
  }
  RT_LOG(INFO) << "done: " << total << " reads aligned";
  return 0;
}
