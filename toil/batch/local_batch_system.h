// LocalBatchSystem: runs jobs as child processes of the leader on this
// machine, at most `max_parallel` at a time, each with the batch system's
// environment as it is when the job starts (job_environment.h) and its
// stdout and stderr kept in a file of its own, <log_dir>/<name>.log
// (<name>.2.log and so on when the name is taken).
//
// Unless told not to, every line a job prints also reaches the leader, live:
// while a listener is set (ListenToOutput: the real-time logger of this
// process sets one), this process reads the job's stdout and stderr itself
// (output_pump.h) and writes them to the log file; otherwise the job runs
// under `toil-rtlog exec` (capture_program.h), which does the same and
// sends the lines to the leader that the job's environment names.
//
// Each job leads a process group of its own, so that a Ctrl-C in the
// leader's terminal reaches the leader only, and a job is ended whole:
// Shutdown sends SIGTERM to every running job's group, and SIGKILL to what
// is left of the groups after `stop_grace`. A ProcessGroupGuard kills the
// groups if the leader dies without a Shutdown (even by SIGKILL).
#ifndef TOIL_BATCH_LOCAL_BATCH_SYSTEM_H_
#define TOIL_BATCH_LOCAL_BATCH_SYSTEM_H_

#include <sys/types.h>

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "toil/batch/batch_system.h"
#include "toil/batch/child_exit_waiter.h"
#include "toil/batch/guarded_spawn.h"
#include "toil/batch/job_files.h"
#include "toil/batch/output_pump.h"
#include "toil/batch/process_group_guard.h"

namespace toil::batch {

struct LocalBatchSystemOptions {
  // Jobs running at once; 0 means the number of CPUs.
  int max_parallel = 0;
  // Directory for the per-job log files; created if missing. Empty: a new
  // directory under $TMPDIR (or /tmp).
  std::string log_dir;
  // How long Shutdown lets jobs end after SIGTERM before it sends SIGKILL to
  // what is left of their process groups.
  absl::Duration stop_grace = absl::Seconds(5);
  // Every line a job prints on stdout or stderr also reaches the leader as a
  // record, live (its log file still gets every byte). False: only the log
  // file gets them.
  bool capture_output = true;
  // Without a listener: the toil-rtlog program that captures; empty:
  // $TOIL_RTLOG_BIN, else toil-rtlog in PATH. When there is neither a
  // listener nor a program, jobs run uncaptured, and the batch system says
  // so once on stderr.
  std::string capture_with;
  // Flags for `toil-rtlog exec` (e.g. "--stderr_level=WARNING"); with a
  // listener, the listener decides what lines become.
  std::vector<std::string> capture_flags;
  // How long, after a captured job's process has ended, what it left
  // behind may keep its output open: its output is read until then
  // (counted from the last byte), and it is reported finished after. Also
  // how long its stdout waits for a listener without room (output_pump.h).
  absl::Duration capture_linger = absl::Milliseconds(500);
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
  std::optional<std::string> JobOfProcess(int64_t pid) const override;
  bool ListenToOutput(OutputListener* listener) override;

  const std::string& log_dir() const { return log_dir_; }

 private:
  struct Job {
    JobId id;
    JobSpec spec;
    std::string log_path;
    pid_t pid = -1;
    absl::Time started;
    bool pumped = false;  // its output read here (pump_)
  };
  // Starts queued jobs while there is room; a job that cannot be started is
  // moved to `finished_`.
  void StartQueuedLocked();
  void SpawnLocked(Job job);
  // Starts the job's process (its output read here, or under the capture
  // program, or neither) and guards its group; 0, or the errno that says
  // why it could not.
  int StartProcessLocked(Job& job, pid_t* pid);
  // Where the job's stdout and stderr go, into `process` (and `env`); 0, or
  // the errno that says why they cannot.
  int OutputFilesLocked(Job& job, JobProcess* process, std::map<std::string, std::string>* env);
  // Reaps a job whose process has ended; it is finished once its output is
  // all read.
  void ReapLocked(std::map<pid_t, Job>::iterator it, int status);
  // Moves the jobs whose output is all read to `finished_`.
  void DrainedLocked();
  // How `job` ended, from its wait status.
  static FinishedJob Ended(const Job& job, int status);
  // SIGTERM to every running job's group; SIGKILL to what is left of them
  // after the grace period; then each is reaped and reported cancelled.
  void EndRunningLocked();
  // Remembers which job `pid` runs, for JobOfProcess (the most recent
  // kRememberedProcesses).
  void RememberLocked(pid_t pid, const std::string& name);
  static constexpr size_t kRememberedProcesses = 4096;
  // How often a wait looks again for the end of an ended job's output.
  static constexpr absl::Duration kDrainPoll = absl::Milliseconds(2);

  int max_parallel_;
  absl::Duration stop_grace_;
  bool capture_output_;
  std::string capture_with_;  // "" when there is no capture program
  std::vector<std::string> capture_flags_;
  std::string log_dir_;
  absl::Status status_;  // why no job can run here, if one cannot
  mutable std::mutex mu_;
  JobId next_id_ = 1;
  JobFileNames file_names_;
  std::deque<Job> queued_;
  std::map<pid_t, Job> running_;
  std::deque<FinishedJob> finished_;
  std::map<JobId, FinishedJob> draining_;  // ended; output still being read
  bool said_uncaptured_ = false;
  std::map<pid_t, std::string> job_of_process_;
  std::deque<pid_t> remembered_;  // job_of_process_'s keys, oldest first
  bool shut_down_ = false;
  ProcessGroupGuard guard_;
  ChildExitWaiter exits_;  // wakes WaitForFinishedJob when a job's process ends
  OutputPump pump_;        // last: its thread stops first
};

}  // namespace toil::batch

#endif  // TOIL_BATCH_LOCAL_BATCH_SYSTEM_H_
