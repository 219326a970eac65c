// `toil-rtlog run`: run a command as N jobs on a batch system (local child
// processes, or Slurm), with their real-time records shown as they arrive.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "toil/batch/local_batch_system.h"
#include "toil/batch/slurm_batch_system.h"
#include "toil/cli/command.h"
#include "toil/cli/output_flags.h"
#include "toil/cli/report_flags.h"
#include "toil/cli/stop_signals.h"
#include "toil/rtlog/base/environment.h"
#include "toil/rtlog/sinks/history_sink.h"
#include "toil/runner/run_report.h"
#include "toil/runner/start_toil.h"

ABSL_FLAG(int, jobs, 1, "How many jobs run the command.");
ABSL_FLAG(int, max_parallel, 0, "--batch_system=local: jobs running at once; 0: one per CPU.");
ABSL_FLAG(std::string, log_dir, "",
          "Directory for each job's stdout+stderr file (for slurm, one the "
          "compute nodes can write); default: a new directory under $TMPDIR.");
ABSL_FLAG(std::string, batch_system, "local",
          "Where the jobs run: local (child processes of this program) or "
          "slurm (submitted with sbatch to the cluster that SLURM_CONF, or "
          "Slurm's default configuration, names).");
ABSL_FLAG(bool, capture, true,
          "Send each line the jobs print on stdout or stderr to the leader as a "
          "record, live (this process reads local jobs' output; a Slurm job runs "
          "under `toil-rtlog exec`); their log files still get every byte. "
          "--capture=false: only the log files get them.");
ABSL_FLAG(std::string, capture_with, "",
          "The toil-rtlog program that captures a job's output, as the jobs' "
          "machines see it; default: this one (for Slurm, a cluster whose nodes "
          "share this installation; a node without it runs its job uncaptured "
          "and says so in the job's log).");
ABSL_DECLARE_FLAG(std::string, stdout_level);  // exec's, and this leader's
ABSL_DECLARE_FLAG(std::string, stderr_level);  // exec's, and this leader's
ABSL_FLAG(bool, history, true,
          "Keep every record of the run in its log directory (records.jsonl, rotated "
          "at 256 MiB, 8 files at most), for `toil-rtlog logs`.");
ABSL_FLAG(std::string, partition, "",
          "--batch_system=slurm: the partition to submit to; default: the cluster's.");
ABSL_FLAG(std::string, slurm_args, "",
          "--batch_system=slurm: more sbatch arguments, separated by spaces, e.g. "
          "\"--time=30 --mem=4G\".");

namespace toil::cli {
namespace {

struct ChosenBatchSystem {
  std::unique_ptr<batch::BatchSystem> system;
  std::string log_dir;
};

// The program that captures the jobs' output (`toil-rtlog exec`):
// --capture_with, or this one.
std::string CaptureProgram() {
  const std::string chosen = absl::GetFlag(FLAGS_capture_with);
  if (!chosen.empty()) return chosen;
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : "";
}

// --stdout_level and --stderr_level, as given, for `toil-rtlog exec`.
std::vector<std::string> CaptureFlags() {
  std::vector<std::string> flags;
  for (const char* name : {"stdout_level", "stderr_level"}) {
    if (!FlagGiven(name)) continue;
    flags.push_back(
        absl::StrCat("--", name, "=",
                     absl::GetFlag(name == std::string("stdout_level") ? FLAGS_stdout_level
                                                                       : FLAGS_stderr_level)));
  }
  return flags;
}

// The batch system --batch_system names, set up from the other flags.
absl::StatusOr<ChosenBatchSystem> MakeBatchSystem(int jobs) {
  const std::string kind = absl::GetFlag(FLAGS_batch_system);
  const std::string log_dir = absl::GetFlag(FLAGS_log_dir);
  const std::vector<std::string> capture_flags = CaptureFlags();
  if (kind == "local") {
    const std::string capture_with = CaptureProgram();
    if (absl::GetFlag(FLAGS_capture) && access(capture_with.c_str(), X_OK) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--capture_with=", capture_with, ": ", std::strerror(errno),
          " (it must name the toil-rtlog program; --capture=false runs jobs uncaptured)"));
    }
    const int max_parallel = absl::GetFlag(FLAGS_max_parallel);
    auto local = std::make_unique<batch::LocalBatchSystem>(
        batch::LocalBatchSystemOptions{.max_parallel = max_parallel,
                                       .log_dir = log_dir,
                                       .capture_output = absl::GetFlag(FLAGS_capture),
                                       .capture_with = capture_with,
                                       .capture_flags = capture_flags});
    std::string dir = local->log_dir();
    return ChosenBatchSystem{std::move(local), dir};
  }
  if (kind == "slurm") {
    batch::SlurmOptions options;
    options.partition = absl::GetFlag(FLAGS_partition);
    options.extra_args =
        absl::StrSplit(absl::GetFlag(FLAGS_slurm_args), ' ', absl::SkipWhitespace());
    options.log_dir = log_dir;
    options.capture_output = absl::GetFlag(FLAGS_capture);
    options.capture_with = CaptureProgram();
    options.capture_flags = capture_flags;
    auto slurm = std::make_unique<batch::SlurmBatchSystem>(options);
    std::string dir = slurm->log_dir();
    return ChosenBatchSystem{std::move(slurm), dir};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--batch_system=", kind, " is not a batch system; use local or slurm"));
}

// COMMAND as N jobs named after its base name: "my_job-1" ... "my_job-N".
std::vector<batch::JobSpec> JobSpecs(const std::vector<std::string>& args, int jobs) {
  std::string base = args[0];
  if (const size_t slash = base.rfind('/'); slash != std::string::npos) {
    base = base.substr(slash + 1);
  }
  std::vector<batch::JobSpec> specs;
  for (int i = 1; i <= jobs; ++i) {
    specs.push_back({absl::StrCat(base, "-", i), args[0],
                     std::vector<std::string>(args.begin() + 1, args.end())});
  }
  return specs;
}

// The report (--report), then the run's summary: why it ended early, if it
// did, how many jobs failed, what real-time logging counted, and where the
// job output is.
void Report(const runner::WorkflowResult& result, int jobs, const std::string& log_dir,
            const ReportRequest& request, const std::string& interrupted_by) {
  WriteReport(request,
              rtlog::MakeRunReport("run", result.jobs, result.job_logs,
                                   {.interrupted = !interrupted_by.empty()}),
              "toil-rtlog run: ");
  int failed = 0;
  int cancelled = 0;
  for (const batch::FinishedJob& job : result.jobs) {
    if (job.exit_code != 0) ++(job.reason == "cancelled" ? cancelled : failed);
  }
  const int not_issued = jobs - static_cast<int>(result.jobs.size());
  std::string counts = absl::StrCat(jobs, jobs == 1 ? " job" : " jobs", ", ", failed, " failed");
  if (cancelled > 0) absl::StrAppend(&counts, ", ", cancelled, " cancelled");
  if (not_issued > 0) absl::StrAppend(&counts, ", ", not_issued, " never issued");
  std::fprintf(
      stderr, "toil-rtlog run: %s%s; %s; job output in %s\n",
      interrupted_by.empty() ? "" : absl::StrCat("interrupted by ", interrupted_by, ": ").c_str(),
      counts.c_str(), rtlog::DescribeLogStats(result.logging).c_str(), log_dir.c_str());
}

int RunRun(const std::vector<std::string>& args) {
  if (args.empty()) {
    return UsageError("run",
                      "no command given; usage: toil-rtlog run [flags] -- COMMAND [ARGS...]");
  }
  const int jobs = absl::GetFlag(FLAGS_jobs);
  for (const char* name : {"stdout_level", "stderr_level"}) {
    const std::string given = absl::GetFlag(
        name == std::string("stdout_level") ? FLAGS_stdout_level : FLAGS_stderr_level);
    if (absl::StatusOr<rtlog::Level> level = rtlog::ParseLevel(given); !level.ok()) {
      return UsageError("run", absl::StrCat("--", name, ": ", level.status().message()));
    }
  }
  for (const absl::Status& range : {CheckLeaderFlags(), CheckRange("jobs", jobs, 1, 100000),
                                    CheckRange("max_parallel", absl::GetFlag(FLAGS_max_parallel), 0,
                                               100000, "0: one job per CPU")}) {
    if (!range.ok()) return UsageError("run", std::string(range.message()));
  }
  absl::StatusOr<OutputSinks> sinks = MakeOutputSinks();
  if (!sinks.ok()) return UsageError("run", std::string(sinks.status().message()));
  absl::StatusOr<ReportRequest> report = ReportFlags(absl::GetFlag(FLAGS_output) != "-");
  if (!report.ok()) return UsageError("run", std::string(report.status().message()));
  const std::string level = absl::GetFlag(FLAGS_level);
  if (!level.empty()) {
    absl::StatusOr<rtlog::Level> parsed = rtlog::ParseLevel(level);
    if (!parsed.ok()) return UsageError("run", std::string(parsed.status().message()));
  }
  absl::StatusOr<ChosenBatchSystem> batch_system = MakeBatchSystem(jobs);
  if (!batch_system.ok()) {
    return UsageError("run", std::string(batch_system.status().message()));
  }
  if (absl::Status ready = batch_system->system->status(); !ready.ok()) {
    return UsageError(
        "run", absl::StrCat("--log_dir=", absl::GetFlag(FLAGS_log_dir), ": ", ready.message()));
  }
  if (absl::GetFlag(FLAGS_history)) {
    absl::StatusOr<std::unique_ptr<rtlog::HistorySink>> history =
        rtlog::HistorySink::Open(batch_system->log_dir);
    if (!history.ok()) return UsageError("run", std::string(history.status().message()));
    sinks->owned.push_back(*std::move(history));
  }
  // SIGINT, SIGTERM and SIGHUP cancel the jobs and end the run with its
  // report; the jobs themselves start with default signal handling.
  StopSignals stop;
  signal(SIGPIPE, SIG_IGN);

  runner::ToilOptions options;
  options.cancelled = [&stop] { return stop.requested(); };
  options.report = rtlog::ReportFormat::kNone;  // written below, after the sinks' last lines
  options.realtime_logging.level = level;
  options.realtime_logging.sinks = sinks->pointers();
  options.realtime_logging.server.authenticate = absl::GetFlag(FLAGS_auth);
  options.realtime_logging.server.ingest.allow_unsigned = absl::GetFlag(FLAGS_allow_unsigned);
  options.realtime_logging.server.stream = absl::GetFlag(FLAGS_stream);
  options.realtime_logging.server.control = absl::GetFlag(FLAGS_control);
  // Checked above.
  options.realtime_logging.captured.stdout_level =
      *rtlog::ParseLevel(absl::GetFlag(FLAGS_stdout_level));
  options.realtime_logging.captured.stderr_level =
      *rtlog::ParseLevel(absl::GetFlag(FLAGS_stderr_level));
  options.on_logging_started = [](const rtlog::RealtimeLogger&) {
    const std::string control = rtlog::RealtimeLogger::ControlTarget();
    if (control.empty()) return;
    std::string line = absl::StrCat("toil-rtlog run: watch this run from another terminal with: ",
                                    rtlog::kControlVariable, "=", control);
    const std::string token = rtlog::RealtimeLogger::ControlToken();
    if (!token.empty()) absl::StrAppend(&line, " ", rtlog::kControlTokenVariable, "=", token);
    std::fprintf(stderr, "%s toil-rtlog tail --follow\n", line.c_str());
  };
  absl::StatusOr<runner::WorkflowResult> result =
      runner::StartToil(options, *batch_system->system, JobSpecs(args, jobs));
  if (!result.ok()) {
    std::fprintf(stderr, "toil-rtlog run: error: %s\n",
                 std::string(result.status().message()).c_str());
    return 1;
  }
  sinks->owned.clear();  // the terminal's last folds and counts, before the report
  // A stop asked for after the last job ended still says so: the person
  // who asked sees 128 + the signal, as for a cut-short run.
  if (result->cancelled || stop.requested()) {
    Report(*result, jobs, batch_system->log_dir, *report, stop.Wait());
    return stop.signal_number() != 0 ? 128 + stop.signal_number() : 1;
  }
  Report(*result, jobs, batch_system->log_dir, *report, "");
  return result->exit_code;
}

}  // namespace

const Command& RunCommand() {
  static const Command* const command = [] {
    auto* c = new Command{
        "run",
        "run a command as N jobs and show their real-time records",
        "toil-rtlog run [--level LEVEL] [--jobs N] [--max_parallel M] [--format text|jsonl]\n"
        "               [--output PATH] [--log_dir DIR] [--batch_system local|slurm]\n"
        "               [--partition P] [--slurm_args ARGS]\n"
        "               [--capture=false | --capture_with PATH] [--history=false]\n"
        "               [--stdout_level LEVEL] [--stderr_level LEVEL]\n"
        "               [--auth=false | --allow_unsigned]\n"
        "               [--control off|HOST:PORT] [--time local|utc|iso]\n"
        "               -- COMMAND [ARGS...]\n\n"
        "Runs COMMAND as N jobs on a batch system (local child processes, or\n"
        "Slurm), with real-time logging bound to the run. Exits 0 when every\n"
        "job succeeds, else with the exit status of the first job that failed;\n"
        "stopped by SIGINT, SIGTERM or SIGHUP, it cancels the jobs (SIGTERM, then\n"
        "SIGKILL 5 s later, to each job's whole process group), reports each, and\n"
        "exits 128 + the signal. At the end a report has a row per job (host, how\n"
        "it ended, records by level, lost, wall time) and what each failed job\n"
        "said last (--report=json for scripts). Each line a job prints on stdout\n"
        "or stderr is shown too, as a record (see `toil-rtlog exec`), unless\n"
        "--capture=false. Every record is also kept in the log directory, for\n"
        "`toil-rtlog logs` (--history=false: not kept).",
        {{"batch_system"},
         {"capture"},
         {"capture_with"},
         {"stdout_level", "The level of the records made of what jobs print on stdout.", ""},
         {"stderr_level", "The level of the records made of what jobs print on stderr.", ""},
         {"history"},
         {"jobs"},
         {"log_dir"},
         {"max_parallel"},
         {"partition"},
         {"slurm_args"}},
        &RunRun};
    for (FlagDoc& doc : LeaderFlagDocs()) c->flags.push_back(std::move(doc));
    return c;
  }();
  return *command;
}

}  // namespace toil::cli
