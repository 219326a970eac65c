// LocalBatchSystem: runs jobs as child processes of the leader on this
// machine, at most `max_parallel` at a time, each with the batch system's
// environment (plus TOIL_JOB_NAME) and its stdout and stderr kept in a file
// of its own, <log_dir>/<name>.log (<name>.2.log and so on when names repeat).
#ifndef TOIL_BATCH_LOCAL_BATCH_SYSTEM_H_
#define TOIL_BATCH_LOCAL_BATCH_SYSTEM_H_

#include <sys/types.h>

#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "toil/batch/batch_system.h"
#include "toil/batch/job_files.h"

namespace toil::batch {

struct LocalBatchSystemOptions {
  // Jobs running at once; 0 means the number of CPUs.
  int max_parallel = 0;
  // Directory for the per-job log files; created if missing. Empty: a new
  // directory under $TMPDIR (or /tmp).
  std::string log_dir;
};

class LocalBatchSystem : public BatchSystem {
 public:
  explicit LocalBatchSystem(LocalBatchSystemOptions options = {});
  ~LocalBatchSystem() override;

  absl::StatusOr<JobId> IssueJob(const JobSpec& job) override;
  std::optional<FinishedJob> WaitForFinishedJob(absl::Duration timeout) override;
  int UnfinishedJobs() const override;
  bool RunsJobsOnlyLocally() const override { return true; }
  void Shutdown() override;
  absl::Status status() const override { return status_; }

  const std::string& log_dir() const { return log_dir_; }

 private:
  struct Job {
    JobId id;
    JobSpec spec;
    std::map<std::string, std::string> env;  // snapshot at issue time
    std::string log_path;
    pid_t pid = -1;
    absl::Time started;
  };
  // Starts queued jobs while there is room; a job that cannot be started is
  // moved to `finished_`.
  void StartQueuedLocked();
  void SpawnLocked(Job job);
  // How `job` ended, from its wait status.
  static FinishedJob Ended(const Job& job, int status);

  int max_parallel_;
  std::string log_dir_;
  absl::Status status_;  // why no job can run here, if one cannot
  mutable std::mutex mu_;
  JobId next_id_ = 1;
  JobFileNames file_names_;
  std::deque<Job> queued_;
  std::map<pid_t, Job> running_;
  std::deque<FinishedJob> finished_;
  bool shut_down_ = false;
};

}  // namespace toil::batch

#endif  // TOIL_BATCH_LOCAL_BATCH_SYSTEM_H_
