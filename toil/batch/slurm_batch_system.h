// SlurmBatchSystem: runs jobs on a Slurm cluster through Slurm's own client
// commands (sbatch, squeue, scontrol, scancel), as Toil's Slurm batch system
// does; no libslurm, whose ABI changes with every release. The commands find
// the cluster as usual (SLURM_CONF, or the default configuration).
//
//   SlurmBatchSystem slurm({.partition = "debug", .log_dir = "/shared/logs"});
//   slurm.SetEnv("TOIL_RT_LOGGING_LEVEL", "INFO");
//   JobId id = *slurm.IssueJob({"align/1", "./align", {"--chunk", "1"}});
//   std::optional<FinishedJob> done = slurm.WaitForFinishedJob(absl::Minutes(1));
//
// - A job's program and arguments arrive intact, whatever they contain: each
//   job is a small batch script that execs them, every word single-quoted.
// - The environment (GetEnvironment() and TOIL_JOB_NAME) reaches the job
//   through sbatch's own environment, with only the names on its command
//   line (--export=ALL,NAME,...): no value, the run's secret included, is
//   ever on a command line another user could read with ps.
// - Each job's stdout and stderr go to one file under log_dir, which the
//   compute nodes must be able to write (a shared file system); unless told
//   not to, each line also reaches the leader live (capture_output).
// - WaitForFinishedJob polls the scheduler with backoff; a job that ended by
//   signal N has exit code 128 + N, and `reason` says why Slurm ended it
//   (cancelled, timed out, node failure, out of memory). A controller that
//   stops answering fails the jobs still outstanding, with Slurm's message,
//   once scheduler_timeout has passed: a clear error, not a hang.
// - Each job's files are <log_dir>/<name>.sh and <name>.log (<name>.2.log
//   and so on when names repeat).
// - Shutdown (and the destructor) cancels what is still queued or running;
//   WaitForFinishedJob then reports those jobs, with reason "cancelled".
#ifndef TOIL_BATCH_SLURM_BATCH_SYSTEM_H_
#define TOIL_BATCH_SLURM_BATCH_SYSTEM_H_

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "toil/batch/batch_system.h"
#include "toil/batch/job_files.h"

namespace toil::batch {

struct SlurmOptions {
  // sbatch --partition, --account, --time (Slurm's formats, e.g. "10",
  // "1:30:00", "2-0"), --cpus-per-task and --mem (e.g. "4G"); empty or 0:
  // the cluster's default.
  std::string partition;
  std::string account;
  std::string time_limit;
  int cpus_per_job = 0;
  std::string memory_per_job;
  // More sbatch arguments, each one word (e.g. {"--qos=long", "--exclusive"}).
  std::vector<std::string> extra_args;
  // Directory for the per-job output files and batch scripts; created if
  // missing. Empty: a new directory under $TMPDIR (or /tmp).
  std::string log_dir;
  // Polling: the first interval after a change, doubling while nothing
  // changes, up to the second.
  absl::Duration poll_interval = absl::Milliseconds(250);
  absl::Duration max_poll_interval = absl::Seconds(5);
  // How long one Slurm command may take before it is killed.
  absl::Duration command_timeout = absl::Seconds(30);
  // How long the controller may fail to answer before the outstanding jobs
  // are given up as failed.
  absl::Duration scheduler_timeout = absl::Minutes(2);
  // Each job runs under `toil-rtlog exec` on its node, which sends every
  // line it prints on stdout or stderr to the leader as a record, live (its
  // log file still gets every byte). False: only the log file gets them.
  bool capture_output = true;
  // The toil-rtlog program's path on the compute nodes; empty: the one the
  // leader finds ($TOIL_RTLOG_BIN, else PATH), for a cluster whose nodes
  // share the leader's installation. A node where it is not executable runs
  // the job uncaptured and says so in the job's log.
  std::string capture_with;
  // Flags for `toil-rtlog exec` (e.g. "--stderr_level=WARNING").
  std::vector<std::string> capture_flags;
};

class SlurmBatchSystem : public BatchSystem {
 public:
  explicit SlurmBatchSystem(SlurmOptions options = {});
  ~SlurmBatchSystem() override;

  // Submits the job with sbatch; fails with Slurm's own message when sbatch
  // refuses it (an unknown partition, say).
  absl::StatusOr<JobId> IssueJob(const JobSpec& job) override;
  std::optional<FinishedJob> WaitForFinishedJob(absl::Duration timeout) override;
  int UnfinishedJobs() const override;
  bool RunsJobsOnlyLocally() const override { return false; }
  // The controller's host (SlurmctldHost), which the compute nodes reach.
  std::optional<std::string> SchedulerHost() const override;
  void Shutdown() override;
  absl::Status status() const override { return status_; }

  const std::string& log_dir() const { return log_dir_; }
  // The Slurm job id of a job issued here ("" when unknown).
  std::string SlurmJobId(JobId id) const;

 private:
  struct Job {
    std::string slurm_id;
    std::string name;
    std::string log_path;
    absl::Time issued;
  };
  // Asks Slurm about the running jobs; moves those that ended to finished_.
  void PollLocked();
  void FinishLocked(JobId id, const std::string& state);
  // The scheduler did not answer: after scheduler_timeout, fail every job.
  void SchedulerFailedLocked(const std::string& why);
  // Writes <log_dir>/<stem>.sh; returns its path ("" on failure).
  std::string WriteBatchScript(const JobSpec& job, const std::string& stem) const;

  SlurmOptions options_;
  std::string capture_with_;  // "" when jobs run uncaptured
  std::string log_dir_;
  absl::Status status_;  // why no job can run here, if one cannot
  mutable std::mutex mu_;
  JobId next_id_ = 1;
  JobFileNames file_names_;
  std::map<JobId, Job> running_;  // issued, not yet seen to end
  std::deque<FinishedJob> finished_;
  absl::Time next_poll_ = absl::InfinitePast();
  absl::Duration interval_;
  std::optional<absl::Time> failing_since_;
  bool shut_down_ = false;
};

}  // namespace toil::batch

#endif  // TOIL_BATCH_SLURM_BATCH_SYSTEM_H_
