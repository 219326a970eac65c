// BatchSystem: how a workflow leader runs its jobs.
//
// Issue jobs, wait for them to finish, and set environment variables that
// every job issued afterwards receives (this is how the real-time logger
// hands jobs the leader's address and level).
//
//   LocalBatchSystem batch({.max_parallel = 4});
//   batch.SetEnv("TOIL_RT_LOGGING_LEVEL", "INFO");
//   JobId id = *batch.IssueJob({"align/1", "./align", {"--chunk", "1"}});
//   std::optional<FinishedJob> done = batch.WaitForFinishedJob(absl::Seconds(1));
#ifndef TOIL_BATCH_BATCH_SYSTEM_H_
#define TOIL_BATCH_BATCH_SYSTEM_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "toil/batch/output_listener.h"

namespace toil::batch {

using JobId = int64_t;

struct JobSpec {
  // A name for people (and for TOIL_JOB_NAME in the job's environment).
  std::string name;
  // The program, looked up in PATH when it has no '/'.
  std::string command;
  std::vector<std::string> args;
};

struct FinishedJob {
  JobId id = 0;
  std::string name;
  // The exit status: the program's exit code, or 128 + the signal number when
  // it was killed, or 127 when it could not be started.
  int exit_code = 0;
  // The signal that ended it, when one did (then exit_code is 128 + it).
  int signal = 0;
  // Why it could not be started, if it could not.
  std::string error;
  // Why the scheduler ended it, when that is more than its exit status
  // ("cancelled", "timed out", "node failure", "out of memory").
  std::string reason;
  // Where its stdout and stderr were kept, if anywhere.
  std::string log_path;
  // The host it ran on, when known.
  std::string host;
  absl::Duration wall_time;
};

class BatchSystem {
 public:
  virtual ~BatchSystem() = default;

  // Queues or starts a job; fails only for an invalid spec.
  virtual absl::StatusOr<JobId> IssueJob(const JobSpec& job) = 0;

  // Waits up to `timeout` for an issued job to finish.
  virtual std::optional<FinishedJob> WaitForFinishedJob(absl::Duration timeout) = 0;

  // Jobs issued and not yet reported finished.
  virtual int UnfinishedJobs() const = 0;

  // Whether every job runs on this machine (so a leader can listen on
  // loopback only).
  virtual bool RunsJobsOnlyLocally() const = 0;

  // A host that the machines running the jobs can reach (a cluster's
  // controller), when there is one: a leader advertises its own address on
  // the route toward it.
  virtual std::optional<std::string> SchedulerHost() const { return std::nullopt; }

  // Ends what still runs (or is queued) and releases resources; each job it
  // ends is then reported by WaitForFinishedJob with reason "cancelled".
  // Idempotent.
  virtual void Shutdown() = 0;

  // The name of the job that this batch system started as process `pid` on
  // this machine (or whose process group `pid` is in), when it knows: a
  // leader names records that do not name their job (Toil's Python jobs')
  // by it. Only batch systems that run jobs on this machine can know.
  virtual std::optional<std::string> JobOfProcess(int64_t pid) const { return std::nullopt; }

  // Hands the bytes every job started from now on writes on stdout and
  // stderr to `listener` (not owned; nullptr: no longer) as it reads them in
  // this process, if it can: a batch system that runs jobs on this machine
  // and captures their output reads it itself rather than through
  // `toil-rtlog exec`. Whether it will.
  virtual bool ListenToOutput(OutputListener* listener) { return false; }

  // Why this batch system cannot run jobs (say, its log directory could not
  // be made), or OK. IssueJob fails with the same error.
  virtual absl::Status status() const { return absl::OkStatus(); }

  // Variables for every job issued from now on (not for jobs already
  // issued; a batch system that queues jobs itself may give them to every
  // job it starts from now on, and says so).
  void SetEnv(const std::string& name, const std::string& value);
  void UnsetEnv(const std::string& name);
  std::map<std::string, std::string> GetEnvironment() const;

 private:
  mutable std::mutex env_mu_;
  std::map<std::string, std::string> env_;
};

}  // namespace toil::batch

#endif  // TOIL_BATCH_BATCH_SYSTEM_H_
