// `toil-rtlog exec`: runs a program with its output captured: every byte
// it prints still goes to this process's stdout and stderr (the job's log
// file), and each line also reaches the leader, live, as a record
// (captured_program.h). Ends as the program ended: its exit status, or the
// signal that killed it, raised again here once the records are out.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "toil/cli/command.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/capture/captured_program.h"

ABSL_FLAG(std::string, stdout_level, "INFO",
          "The level of the records made of the program's stdout lines.");
ABSL_FLAG(std::string, stderr_level, "INFO",
          "The level of the records made of the program's stderr lines.");
ABSL_FLAG(absl::Duration, progress_interval, absl::Seconds(1),
          "A line rewritten with carriage returns (a progress bar) is sent at "
          "most once per this interval while it changes, then as it ends.");

namespace toil::cli {
namespace {

// The signal that killed the program, raised again at the very end of
// exit (after the records are flushed: atexit runs in reverse order, and
// this is registered before any record is logged).
int g_signal_to_raise = 0;

void RaiseTheProgramsSignal() {
  if (g_signal_to_raise == 0) return;
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);  // the program's core, not this one's
  signal(g_signal_to_raise, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, g_signal_to_raise);
  sigprocmask(SIG_UNBLOCK, &only, nullptr);
  raise(g_signal_to_raise);
}

absl::StatusOr<rtlog::capture::CaptureOptions> OptionsFromFlags() {
  rtlog::capture::CaptureOptions options;
  absl::StatusOr<rtlog::Level> out = rtlog::ParseLevel(absl::GetFlag(FLAGS_stdout_level));
  if (!out.ok())
    return absl::InvalidArgumentError(absl::StrCat("--stdout_level: ", out.status().message()));
  absl::StatusOr<rtlog::Level> err = rtlog::ParseLevel(absl::GetFlag(FLAGS_stderr_level));
  if (!err.ok())
    return absl::InvalidArgumentError(absl::StrCat("--stderr_level: ", err.status().message()));
  const absl::Duration interval = absl::GetFlag(FLAGS_progress_interval);
  if (interval < absl::ZeroDuration() || interval > absl::Hours(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--progress_interval=", absl::FormatDuration(interval),
                     " is out of range: it must be 0s to 1h"));
  }
  options.stdout_level = *out;
  options.stderr_level = *err;
  options.progress_interval = interval;
  return options;
}

int RunExec(const std::vector<std::string>& args) {
  if (args.empty()) {
    return UsageError("exec", "no program given; usage: toil-rtlog exec [flags] PROGRAM [ARGS...]");
  }
  absl::StatusOr<rtlog::capture::CaptureOptions> options = OptionsFromFlags();
  if (!options.ok()) return UsageError("exec", std::string(options.status().message()));
  std::atexit(&RaiseTheProgramsSignal);
  absl::StatusOr<int> status = rtlog::capture::RunCaptured(args, *options);
  if (!status.ok()) {
    // As a shell says it: 127 for a program not found, 126 for one that
    // cannot be run.
    std::fprintf(stderr, "toil-rtlog exec: %s\n", std::string(status.status().message()).c_str());
    return absl::IsNotFound(status.status()) ? 127 : 126;
  }
  if (WIFSIGNALED(*status)) {
    g_signal_to_raise = WTERMSIG(*status);
    return 128 + g_signal_to_raise;
  }
  return WEXITSTATUS(*status);
}

}  // namespace

const Command& ExecCommand() {
  static const Command* const command =
      new Command{"exec",
                  "run a program, sending each line it prints to the leader (for jobs)",
                  "toil-rtlog exec [--stdout_level LEVEL] [--stderr_level LEVEL]\n"
                  "                [--progress_interval DURATION] [--] PROGRAM [ARGS...]\n\n"
                  "Runs PROGRAM (searched in PATH) as a job would, and sends each line it\n"
                  "writes on stdout or stderr to the job's leader as a record (logger name\n"
                  "\"stdout\" or \"stderr\", naming PROGRAM's pid), honouring\n"
                  "TOIL_RT_LOGGING_ADDRESS and TOIL_RT_LOGGING_LEVEL as RT_LOG does. Every\n"
                  "byte still goes, as it came, to this command's own stdout and stderr.\n"
                  "Lines rewritten with carriage returns (progress bars) are sent at most\n"
                  "once per --progress_interval while they change; a line longer than\n"
                  "16 KiB is cut and marked; sending never holds PROGRAM up (what the queue\n"
                  "has no room for is counted, and the count reaches the leader). The\n"
                  "records PROGRAM logs itself (RT_LOG, toil-rtlog send) are not sent\n"
                  "twice. PROGRAM keeps its stdin, environment and process group; this\n"
                  "command ignores SIGINT, SIGTERM, SIGHUP and SIGQUIT (signal the job's\n"
                  "process group) and exits as PROGRAM did: with its exit status, or\n"
                  "killed by the same signal; 127 if PROGRAM is not found, 126 if it\n"
                  "cannot be run. `run` and the batch systems start each job this way.",
                  {{"stdout_level"}, {"stderr_level"}, {"progress_interval"}},
                  &RunExec,
                  /*program_follows=*/true};
  return *command;
}

}  // namespace toil::cli
