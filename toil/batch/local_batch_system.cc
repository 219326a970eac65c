// Running jobs as local child processes; see local_batch_system.h.
#include "toil/batch/local_batch_system.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <set>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "toil/batch/capture_program.h"
#include "toil/batch/command_path.h"
#include "toil/batch/guarded_spawn.h"
#include "toil/batch/job_environment.h"
#include "toil/batch/job_files.h"
#include "toil/rtlog/base/environment.h"
#include "toil/rtlog/base/fd_write.h"

namespace toil::batch {
namespace {

// The process group of `pid` on this machine, from /proc (0 when unknown).
pid_t ProcessGroupOf(int64_t pid) {
  const int fd = open(absl::StrCat("/proc/", pid, "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buffer[1024];
  const ssize_t n = read(fd, buffer, sizeof(buffer));
  close(fd);
  if (n <= 0) return 0;
  const std::string stat(buffer, static_cast<size_t>(n));
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(close + 1), ' ', absl::SkipEmpty());
  int pgrp = 0;
  if (fields.size() < 3 || !absl::SimpleAtoi(fields[2], &pgrp)) return 0;
  return pgrp;
}

}  // namespace

LocalBatchSystem::LocalBatchSystem(LocalBatchSystemOptions options)
    : max_parallel_(options.max_parallel > 0 ? options.max_parallel
                                             : std::max(1u, std::thread::hardware_concurrency())),
      stop_grace_(options.stop_grace),
      capture_output_(options.capture_output),
      pump_({.linger = options.capture_linger}) {
  if (capture_output_) {
    capture_with_ = FindCaptureProgram(options.capture_with);
    capture_flags_ = options.capture_flags;
  }
  absl::StatusOr<std::string> dir = MakeLogDir(options.log_dir);
  log_dir_ = dir.ok() ? *dir : options.log_dir;
  status_ = dir.status();
  file_names_ = JobFileNames(log_dir_);
  guard_.Start();
}

LocalBatchSystem::~LocalBatchSystem() { Shutdown(); }

absl::StatusOr<JobId> LocalBatchSystem::IssueJob(const JobSpec& spec) {
  if (!status_.ok()) return status_;
  if (spec.command.empty()) {
    return absl::InvalidArgumentError("a job needs a command to run");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_down_) {
    return absl::FailedPreconditionError("the batch system has been shut down");
  }
  Job job;
  job.id = next_id_++;
  job.spec = spec;
  job.log_path = absl::StrCat(log_dir_, "/", file_names_.Take(spec.name), ".log");
  queued_.push_back(std::move(job));
  StartQueuedLocked();
  if (!finished_.empty()) exits_.Wake();  // one that could not start
  return next_id_ - 1;
}

void LocalBatchSystem::StartQueuedLocked() {
  while (!queued_.empty() && static_cast<int>(running_.size()) < max_parallel_) {
    Job job = std::move(queued_.front());
    queued_.pop_front();
    SpawnLocked(std::move(job));
  }
}

int LocalBatchSystem::OutputFilesLocked(Job& job, JobProcess* process,
                                        std::map<std::string, std::string>* env) {
  if (capture_output_ && pump_.has_listener()) {
    OutputPump::ChildEnds ends;
    if (const int error = pump_.Open(job.id, job.log_path, &ends); error != 0) return error;
    process->files.push_back(ChildFile::Copy(ends.stdout_fd, STDOUT_FILENO));
    process->files.push_back(ChildFile::Copy(ends.stderr_fd, STDERR_FILENO));
    process->files.push_back(ChildFile::Copy(ends.copy_fd, ends.copy_fd));  // open across exec
    (*env)[rtlog::kStderrCopyVariable] = ends.copy_description;
    env->emplace("PYTHONUNBUFFERED", "1");  // a Python job's prints live, unless it says
    job.pumped = true;
    return 0;
  }
  if (capture_output_ && !capture_with_.empty()) {
    // Under the capture program, a command that cannot run is found here,
    // to be reported as it is without one.
    if (const int not_runnable = CommandRunnable(job.spec.command); not_runnable != 0) {
      return not_runnable;
    }
    process->argv =
        CapturedCommandLine(capture_with_, capture_flags_, job.spec.command, job.spec.args);
  } else if (capture_output_ && !said_uncaptured_) {
    said_uncaptured_ = true;
    rtlog::internal::WarnOnStderr(absl::StrCat(
        "jobs' output is not sent to the leader, only kept in their log files: no real-time "
        "logger in this process and no toil-rtlog program to capture it with (set ",
        kCaptureProgramVariable,
        ", or put toil-rtlog in PATH; LocalBatchSystemOptions::capture_output = false says "
        "this is meant)"));
  }
  process->files.push_back(
      ChildFile::Open(STDOUT_FILENO, job.log_path, O_WRONLY | O_CREAT | O_TRUNC));
  process->files.push_back(ChildFile::Copy(STDOUT_FILENO, STDERR_FILENO));
  return 0;
}

int LocalBatchSystem::StartProcessLocked(Job& job, pid_t* pid) {
  // The batch system's environment as it is now: a level changed since the
  // job was issued (`toil-rtlog level`) reaches it.
  std::map<std::string, std::string> env = JobEnvironment(GetEnvironment(), job.spec.name);
  JobProcess process;
  process.argv = {job.spec.command};
  process.argv.insert(process.argv.end(), job.spec.args.begin(), job.spec.args.end());
  process.files.push_back(ChildFile::Open(STDIN_FILENO, "/dev/null", O_RDONLY));
  int error = OutputFilesLocked(job, &process, &env);
  process.env = EnvironmentStrings(env);
  if (error == 0) error = StartGuardedProcess(process, guard_, pid);
  if (job.pumped && error != 0) pump_.Abandon(job.id);
  if (job.pumped && error == 0) {
    pump_.Started({static_cast<uint64_t>(job.id), job.spec.name, *pid,
                   job.spec.command.substr(job.spec.command.rfind('/') + 1)});
  }
  return error;
}

void LocalBatchSystem::SpawnLocked(Job job) {
  pid_t pid = -1;
  const int error = StartProcessLocked(job, &pid);
  job.started = absl::Now();
  if (error != 0) {
    FinishedJob failed;
    failed.id = job.id;
    failed.name = job.spec.name;
    failed.exit_code = 127;
    failed.error = absl::StrCat("cannot start \"", job.spec.command, "\": ", std::strerror(error));
    failed.log_path = job.log_path;
    finished_.push_back(std::move(failed));
    return;
  }
  RememberLocked(pid, job.spec.name);
  exits_.Watch(pid);
  job.pid = pid;
  running_.emplace(pid, std::move(job));
}

void LocalBatchSystem::RememberLocked(pid_t pid, const std::string& name) {
  if (job_of_process_.insert_or_assign(pid, name).second) remembered_.push_back(pid);
  while (remembered_.size() > kRememberedProcesses) {
    job_of_process_.erase(remembered_.front());
    remembered_.pop_front();
  }
}

std::optional<std::string> LocalBatchSystem::JobOfProcess(int64_t pid) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = job_of_process_.find(static_cast<pid_t>(pid));
    if (found != job_of_process_.end()) return found->second;
  }
  // A process the job started: it is in the job's process group, whose id
  // is the job's pid (while the process still runs).
  const pid_t group = pid > 0 ? ProcessGroupOf(pid) : 0;
  if (group <= 0 || group == pid) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto found = job_of_process_.find(group);
  if (found == job_of_process_.end()) return std::nullopt;
  return found->second;
}

std::optional<FinishedJob> LocalBatchSystem::WaitForFinishedJob(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    bool draining = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = running_.begin(); it != running_.end(); ++it) {
        int status = 0;
        const pid_t done = waitpid(it->first, &status, WNOHANG);
        if (done != it->first) continue;
        ReapLocked(it, status);
        break;
      }
      DrainedLocked();
      StartQueuedLocked();
      if (!finished_.empty()) {
        FinishedJob job = std::move(finished_.front());
        finished_.pop_front();
        return job;
      }
      if (running_.empty() && queued_.empty() && draining_.empty()) return std::nullopt;
      draining = !draining_.empty();
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return std::nullopt;
    // The waiter wakes when a job's process ends; the end of a job's output
    // is looked for again soon.
    exits_.Wait(draining ? std::min(left, kDrainPoll) : left);
  }
}

void LocalBatchSystem::ReapLocked(std::map<pid_t, Job>::iterator it, int status) {
  guard_.Remove(it->first);
  exits_.Forget(it->first);
  if (it->second.pumped) {
    pump_.ProcessEnded(it->second.id);
    draining_.emplace(it->second.id, Ended(it->second, status));
  } else {
    finished_.push_back(Ended(it->second, status));
  }
  running_.erase(it);
}

void LocalBatchSystem::DrainedLocked() {
  for (auto it = draining_.begin(); it != draining_.end();) {
    if (!pump_.Done(it->first)) {
      ++it;
      continue;
    }
    finished_.push_back(std::move(it->second));
    it = draining_.erase(it);
  }
}

int LocalBatchSystem::UnfinishedJobs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(queued_.size() + running_.size() + draining_.size() + finished_.size());
}

bool LocalBatchSystem::ListenToOutput(OutputListener* listener) {
  if (!capture_output_) return false;
  pump_.SetListener(listener);
  return true;
}

void LocalBatchSystem::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_down_) return;
  shut_down_ = true;
  for (const Job& job : queued_) {
    FinishedJob never;
    never.id = job.id;
    never.name = job.spec.name;
    never.exit_code = 127;
    never.reason = "cancelled";
    never.error = "never started: the batch system was shut down first";
    finished_.push_back(std::move(never));
  }
  queued_.clear();
  EndRunningLocked();
  exits_.Wake();
}

void LocalBatchSystem::EndRunningLocked() {
  for (auto& [pid, job] : running_) kill(-pid, SIGTERM);
  // A job's pid stays unreaped (a zombie, waited for with WNOWAIT) until its
  // group has had SIGKILL: the group's id cannot be taken by another
  // process meanwhile.
  const absl::Time deadline = absl::Now() + stop_grace_;
  std::set<pid_t> alive;
  for (auto& [pid, job] : running_) alive.insert(pid);
  while (!alive.empty() && absl::Now() < deadline) {
    for (auto it = alive.begin(); it != alive.end();) {
      siginfo_t info{};
      const bool ended =
          waitid(P_PID, *it, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == *it;
      it = ended ? alive.erase(it) : std::next(it);
    }
    if (!alive.empty()) absl::SleepFor(absl::Milliseconds(5));
  }
  std::set<JobId> cancelled;
  while (!running_.empty()) {
    const pid_t pid = running_.begin()->first;
    kill(-pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    cancelled.insert(running_.begin()->second.id);
    ReapLocked(running_.begin(), status);
  }
  // What they printed last is read (within the linger) before they are
  // reported.
  while (!draining_.empty()) {
    DrainedLocked();
    if (!draining_.empty()) absl::SleepFor(absl::Milliseconds(5));
  }
  for (FinishedJob& job : finished_) {
    if (cancelled.count(job.id) > 0) job.reason = "cancelled";
  }
}

FinishedJob LocalBatchSystem::Ended(const Job& job, int status) {
  FinishedJob finished;
  finished.id = job.id;
  finished.name = job.spec.name;
  if (WIFEXITED(status)) {
    finished.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    finished.signal = WTERMSIG(status);
    finished.exit_code = 128 + finished.signal;
  } else {
    finished.exit_code = 1;
  }
  finished.log_path = job.log_path;
  finished.wall_time = absl::Now() - job.started;
  return finished;
}

}  // namespace toil::batch
