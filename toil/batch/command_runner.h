// Running a command to completion, as a batch system runs its scheduler's
// client commands (sbatch, squeue, scontrol, scancel): no shell, the
// arguments passed as they are, extra environment variables given through
// the command's environment (never its command line), stdout and stderr
// captured, and a deadline after which the command is killed.
//
//   absl::StatusOr<CommandResult> r =
//       RunCommand({"squeue", "-h", "-j", "42"}, {}, absl::Seconds(30));
#ifndef TOIL_BATCH_COMMAND_RUNNER_H_
#define TOIL_BATCH_COMMAND_RUNNER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace toil::batch {

struct CommandResult {
  int exit_code = 0;  // 128 + N when killed by signal N
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] looked up in PATH) with this process's environment
// plus `env` (or `env` alone, when `env_is_complete`), stdin from
// /dev/null. Fails when it cannot be started, or when it runs longer than
// `timeout` (it is then killed); a command that ran and failed is a result
// with its exit code.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::map<std::string, std::string>& env,
                                         absl::Duration timeout, bool env_is_complete = false);

// "sbatch: error: ..." from a failed result: its stderr (else stdout)
// without the trailing newline, or "exit status N" when it said nothing.
std::string CommandFailure(const CommandResult& result);

}  // namespace toil::batch

#endif  // TOIL_BATCH_COMMAND_RUNNER_H_
