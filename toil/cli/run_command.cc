// `toil-rtlog run`: run a command as N jobs on the local batch system, with
// their real-time records shown as they arrive.
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "toil/batch/local_batch_system.h"
#include "toil/cli/command.h"
#include "toil/cli/output_flags.h"
#include "toil/runner/start_toil.h"

ABSL_FLAG(int, jobs, 1, "How many jobs run the command.");
ABSL_FLAG(int, max_parallel, 0,
          "Jobs running at once; 0: all of them.");
ABSL_FLAG(std::string, log_dir, "",
          "Directory for each job's stdout+stderr file; default: a new "
          "directory under $TMPDIR.");

namespace toil::cli {

int RunRun(const std::vector<std::string>& args) {
  if (args.empty()) {
    return UsageError("run", "no command given; usage: toil-rtlog run [flags] -- COMMAND [ARGS...]");
  }
  const int jobs = absl::GetFlag(FLAGS_jobs);
  if (jobs < 1) return UsageError("run", "--jobs must be at least 1");
  absl::StatusOr<std::unique_ptr<rtlog::LogSink>> sink =
      MakeOutputSink(absl::GetFlag(FLAGS_format), absl::GetFlag(FLAGS_output));
  if (!sink.ok()) return UsageError("run", std::string(sink.status().message()));
  const std::string level = absl::GetFlag(FLAGS_level);
  if (!level.empty()) {
    absl::StatusOr<rtlog::Level> parsed = rtlog::ParseLevel(level);
    if (!parsed.ok()) return UsageError("run", std::string(parsed.status().message()));
  }
  signal(SIGPIPE, SIG_IGN);

  const int max_parallel = absl::GetFlag(FLAGS_max_parallel);
  batch::LocalBatchSystem batch_system(
      {max_parallel > 0 ? max_parallel : jobs, absl::GetFlag(FLAGS_log_dir)});
  std::string base = args[0];
  if (const size_t slash = base.rfind('/'); slash != std::string::npos) {
    base = base.substr(slash + 1);
  }
  std::vector<batch::JobSpec> specs;
  for (int i = 1; i <= jobs; ++i) {
    specs.push_back({absl::StrCat(base, "-", i), args[0],
                     std::vector<std::string>(args.begin() + 1, args.end())});
  }
  runner::ToilOptions options;
  options.realtime_logging.level = level;
  options.realtime_logging.sinks = {sink->get()};
  options.realtime_logging.authenticate = absl::GetFlag(FLAGS_auth);
  options.realtime_logging.allow_unsigned = absl::GetFlag(FLAGS_allow_unsigned);
  absl::StatusOr<runner::WorkflowResult> result =
      runner::StartToil(options, batch_system, specs);
  if (!result.ok()) {
    std::fprintf(stderr, "toil-rtlog run: error: %s\n",
                 std::string(result.status().message()).c_str());
    return 1;
  }
  int failed = 0;
  for (const batch::FinishedJob& job : result->jobs) {
    if (job.exit_code == 0) continue;
    ++failed;
    std::fprintf(stderr, "toil-rtlog run: job %s failed with exit status %d%s%s; its output: %s\n",
                 job.name.c_str(), job.exit_code, job.error.empty() ? "" : ": ",
                 job.error.c_str(), job.log_path.c_str());
  }
  std::fprintf(stderr, "toil-rtlog run: %d job%s, %d failed; %s; job output in %s\n",
               jobs, jobs == 1 ? "" : "s", failed,
               rtlog::DescribeLogStats(result->logging).c_str(),
               batch_system.log_dir().c_str());
  return result->exit_code;
}

}  // namespace toil::cli
