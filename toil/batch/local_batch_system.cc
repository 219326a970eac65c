// Running jobs as local child processes; see local_batch_system.h.
#include "toil/batch/local_batch_system.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "toil/batch/job_files.h"
#include "toil/batch/spawn_signals.h"
#include "toil/rtlog/environment.h"

extern char** environ;

namespace toil::batch {
namespace {


}  // namespace

LocalBatchSystem::LocalBatchSystem(LocalBatchSystemOptions options)
    : max_parallel_(options.max_parallel > 0
                        ? options.max_parallel
                        : std::max(1u, std::thread::hardware_concurrency())) {
  absl::StatusOr<std::string> dir = MakeLogDir(options.log_dir);
  log_dir_ = dir.ok() ? *dir : options.log_dir;
  status_ = dir.status();
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
  job.env = GetEnvironment();
  job.log_path = absl::StrCat(log_dir_, "/", file_names_.Take(spec.name), ".log");
  queued_.push_back(std::move(job));
  StartQueuedLocked();
  return next_id_ - 1;
}

void LocalBatchSystem::StartQueuedLocked() {
  while (!queued_.empty() &&
         static_cast<int>(running_.size()) < max_parallel_) {
    Job job = std::move(queued_.front());
    queued_.pop_front();
    SpawnLocked(std::move(job));
  }
}

void LocalBatchSystem::SpawnLocked(Job job) {
  // The child's environment: ours, then the batch system's, then its name.
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const char* equals = std::strchr(*e, '=');
    if (equals == nullptr) continue;
    env[std::string(*e, equals - *e)] = equals + 1;
  }
  for (const auto& [name, value] : job.env) env[name] = value;
  env[toil::rtlog::kJobNameVariable] = job.spec.name;
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : env) {
    env_strings.push_back(absl::StrCat(name, "=", value));
  }
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  std::vector<std::string> args = {job.spec.command};
  args.insert(args.end(), job.spec.args.begin(), job.spec.args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO,
                                   job.log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  // Jobs start with default signal handling, whatever the leader blocks.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  SetDefaultSignals(&attributes);

  pid_t pid = -1;
  const int error = posix_spawnp(&pid, job.spec.command.c_str(), &actions,
                                 &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  job.started = absl::Now();
  if (error != 0) {
    FinishedJob failed;
    failed.id = job.id;
    failed.name = job.spec.name;
    failed.exit_code = 127;
    failed.error = absl::StrCat("cannot start \"", job.spec.command,
                                "\": ", std::strerror(error));
    failed.log_path = job.log_path;
    finished_.push_back(std::move(failed));
    return;
  }
  job.pid = pid;
  running_.emplace(pid, std::move(job));
}

std::optional<FinishedJob> LocalBatchSystem::WaitForFinishedJob(
    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = running_.begin(); it != running_.end(); ++it) {
        int status = 0;
        const pid_t done = waitpid(it->first, &status, WNOHANG);
        if (done != it->first) continue;
        finished_.push_back(Ended(it->second, status));
        running_.erase(it);
        break;
      }
      StartQueuedLocked();
      if (!finished_.empty()) {
        FinishedJob job = std::move(finished_.front());
        finished_.pop_front();
        return job;
      }
      if (running_.empty() && queued_.empty()) return std::nullopt;
    }
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(2));
  }
}

int LocalBatchSystem::UnfinishedJobs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(queued_.size() + running_.size() + finished_.size());
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
  for (auto& [pid, job] : running_) kill(pid, SIGKILL);
  for (auto& [pid, job] : running_) {
    int status = 0;
    waitpid(pid, &status, 0);
    finished_.push_back(Ended(job, status));
    finished_.back().reason = "cancelled";
  }
  running_.clear();
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
