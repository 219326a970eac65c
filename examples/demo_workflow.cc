// The demo workflow: a leader that runs several demo_job processes on the
// local batch system with real-time logging bound to the run. Every job's
// RT_LOG lines appear here, interleaved, as they happen.
//
//   bazel run //examples:demo_workflow -- [--jobs N] [--level LEVEL]
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "toil/batch/local_batch_system.h"
#include "toil/rtlog/rt_log.h"
#include "toil/runner/start_toil.h"

ABSL_FLAG(int, jobs, 4, "How many jobs to run.");
ABSL_FLAG(int, steps, 5, "Chunks per job.");
ABSL_FLAG(std::string, level, "INFO",
          "Real-time logging level handed to the jobs (\"\" disables).");
ABSL_FLAG(std::string, job_binary, "", "The job program; default: demo_job next to this program.");

namespace {

std::string SiblingProgram(const std::string& name) {
  char self[PATH_MAX] = {};
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string dir = n > 0 ? std::string(self, n) : std::string(".");
  dir = dir.substr(0, dir.rfind('/'));
  return absl::StrCat(dir, "/", name);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "demo_workflow [--jobs N] [--steps N] [--level LEVEL]: runs demo_job as N local jobs with "
      "real-time logging; their RT_LOG lines appear here as they happen");
  absl::ParseCommandLine(argc, argv);
  std::string job_binary = absl::GetFlag(FLAGS_job_binary);
  if (job_binary.empty()) job_binary = SiblingProgram("demo_job");

  std::vector<toil::batch::JobSpec> jobs;
  for (int i = 1; i <= absl::GetFlag(FLAGS_jobs); ++i) {
    jobs.push_back({absl::StrCat("align-", i),
                    job_binary,
                    {absl::StrCat("--steps=", absl::GetFlag(FLAGS_steps))}});
  }
  // All jobs at once, so their lines interleave.
  // Each job under `toil-rtlog exec`: what it prints is shown too.
  toil::batch::LocalBatchSystem batch_system(
      {.max_parallel = absl::GetFlag(FLAGS_jobs),
       .capture_with = SiblingProgram("../toil/cli/toil-rtlog")});
  toil::runner::ToilOptions options;
  options.realtime_logging.level = absl::GetFlag(FLAGS_level);

  absl::StatusOr<toil::runner::WorkflowResult> result =
      toil::runner::StartToil(options, batch_system, jobs);
  if (!result.ok()) {
    std::fprintf(stderr, "demo_workflow: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  std::fprintf(stderr,
               "demo_workflow: %zu jobs finished (exit code %d); %llu records "
               "shown; job logs in %s\n",
               result->jobs.size(), result->exit_code,
               static_cast<unsigned long long>(result->logging.records),
               batch_system.log_dir().c_str());
  return result->exit_code;
}
