// Reading what Slurm's client commands say about jobs: the states `squeue`
// lists, and the exit status and reason `scontrol show job -o` gives once a
// job has ended, turned into FinishedJob's terms (an exit code, 128 + N for a
// job killed by signal N, and a reason).
//
// Pure text processing, so that it is tested against the output of the
// Slurm release Debian ships (22.05) without a cluster.
#ifndef TOIL_BATCH_SLURM_JOB_STATE_H_
#define TOIL_BATCH_SLURM_JOB_STATE_H_

#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace toil::batch {

// Whether a Slurm job state (COMPLETED, RUNNING, "CANCELLED by 0", ...)
// means the job is over.
bool IsFinalSlurmState(absl::string_view state);

// `squeue -h -o '%i|%T'` output: job id -> state. Lines that do not parse
// are skipped.
std::map<std::string, std::string> ParseSqueueStates(absl::string_view text);

// How a job ended, from one line of `scontrol show job -o ID`.
struct SlurmJobEnd {
  std::string state;                        // JobState, e.g. "TIMEOUT"
  int exit_code = 0;                        // as FinishedJob defines it
  int signal = 0;                           // the signal that ended it, if one did
  std::string reason;                       // empty for COMPLETED and plain FAILED
  std::string host;                         // BatchHost (else NodeList): where it ran
  std::optional<absl::Duration> wall_time;  // EndTime - StartTime
};

// Parses the line; nullopt when it names no JobState (not a job line).
std::optional<SlurmJobEnd> ParseScontrolJob(absl::string_view line);

// The first value of KEY=... among the whitespace-separated fields of
// `line` ("" when absent).
std::string SlurmField(absl::string_view line, absl::string_view key);

// The controller's address from `scontrol show config` ("SlurmctldHost[0] =
// name(addr)" gives addr, "= name" gives name); "" when not found.
std::string ParseSlurmctldHost(absl::string_view config);

}  // namespace toil::batch

#endif  // TOIL_BATCH_SLURM_JOB_STATE_H_
