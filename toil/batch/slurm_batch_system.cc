// Running jobs on Slurm through its client commands; see slurm_batch_system.h.
#include "toil/batch/slurm_batch_system.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "toil/batch/capture_program.h"
#include "toil/batch/command_runner.h"
#include "toil/batch/job_environment.h"
#include "toil/batch/job_files.h"
#include "toil/batch/shell_quote.h"
#include "toil/batch/slurm_job_state.h"
#include "toil/rtlog/base/environment.h"

namespace toil::batch {
namespace {

// sbatch reads %j, %x, ... in --output as patterns: a literal % is %%.
std::string SlurmFilePattern(const std::string& path) {
  return absl::StrReplaceAll(path, {{"%", "%%"}});
}

// A Slurm job name: one word, so that `scontrol show job -o` stays one
// field per word (the job's real name is in its TOIL_JOB_NAME).
std::string SlurmJobName(const std::string& name) {
  std::string word = name.empty() ? "toil-job" : name;
  for (char& c : word) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || c == '=' || c == '|') c = '_';
  }
  return word;
}

// The sbatch options for everything but the environment and the script.
std::vector<std::string> SbatchOptions(const SlurmOptions& options) {
  std::vector<std::string> args;
  if (!options.partition.empty()) args.push_back("--partition=" + options.partition);
  if (!options.account.empty()) args.push_back("--account=" + options.account);
  if (!options.time_limit.empty()) args.push_back("--time=" + options.time_limit);
  if (options.cpus_per_job > 0) {
    args.push_back(absl::StrCat("--cpus-per-task=", options.cpus_per_job));
  }
  if (!options.memory_per_job.empty()) args.push_back("--mem=" + options.memory_per_job);
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  return args;
}

}  // namespace

SlurmBatchSystem::SlurmBatchSystem(SlurmOptions options)
    : options_(std::move(options)), interval_(options_.poll_interval) {
  absl::StatusOr<std::string> dir = MakeLogDir(options_.log_dir);
  log_dir_ = dir.ok() ? *dir : options_.log_dir;
  status_ = dir.status();
  file_names_ = JobFileNames(log_dir_);
  if (options_.capture_output) capture_with_ = FindCaptureProgram(options_.capture_with);
}

SlurmBatchSystem::~SlurmBatchSystem() { Shutdown(); }

std::string SlurmBatchSystem::WriteBatchScript(const JobSpec& job, const std::string& stem) const {
  const std::string path = absl::StrCat(log_dir_, "/", stem, ".sh");
  std::string words = ShellQuote(job.command);
  for (const std::string& arg : job.args) absl::StrAppend(&words, " ", ShellQuote(arg));
  std::ofstream script(path, std::ios::trunc);
  script << "#!/bin/sh\n"
         << "# Job " << ShellQuote(job.name) << ", submitted by toil-rtlog's "
         << "SlurmBatchSystem.\n";
  if (!capture_with_.empty()) {
    // Captured where the program is there; said, and run as it is, where not.
    const std::string capture = ShellQuote(capture_with_);
    std::string flags;
    for (const std::string& flag : options_.capture_flags)
      absl::StrAppend(&flags, ShellQuote(flag), " ");
    script << "if [ -x " << capture << " ]; then exec " << capture << " exec " << flags << "-- "
           << words << "; fi\n"
           << "echo \"toil-rtlog: warning: \"" << capture << "\" is not on $(hostname), so this "
           << "job's output is not sent to the leader (SlurmOptions::capture_with)\" >&2\n";
  }
  script << "exec " << words << "\n";
  script.close();
  return script ? path : "";
}

absl::StatusOr<JobId> SlurmBatchSystem::IssueJob(const JobSpec& job) {
  if (!status_.ok()) return status_;
  if (job.command.empty()) {
    return absl::InvalidArgumentError("a job needs a command to run");
  }
  JobId id;
  std::string stem;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) {
      return absl::FailedPreconditionError("the batch system has been shut down");
    }
    id = next_id_++;
    stem = file_names_.Take(job.name);
  }
  const std::string script = WriteBatchScript(job, stem);
  if (script.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot write the batch script for job ",
                                                      job.name, " in ", log_dir_, ": ",
                                                      std::strerror(errno)));
  }
  const std::string log_path = absl::StrCat(log_dir_, "/", stem, ".log");
  // The values travel in sbatch's environment (which holds no other
  // leader's variables: job_environment.h); only names are on its command
  // line.
  std::vector<std::string> names = {rtlog::kJobNameVariable};
  for (const auto& [name, value] : GetEnvironment()) names.push_back(name);
  const std::map<std::string, std::string> env = JobEnvironment(GetEnvironment(), job.name);
  std::vector<std::string> argv = {"sbatch", "--parsable", "--job-name=" + SlurmJobName(job.name),
                                   "--output=" + SlurmFilePattern(log_path),
                                   "--export=ALL," + absl::StrJoin(names, ",")};
  for (std::string& arg : SbatchOptions(options_)) argv.push_back(std::move(arg));
  argv.push_back(script);
  absl::StatusOr<CommandResult> result =
      RunCommand(argv, env, options_.command_timeout, /*env_is_complete=*/true);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("sbatch refused job ", job.name, ": ", CommandFailure(*result)));
  }
  // --parsable prints "jobid" or "jobid;cluster".
  std::string slurm_id(absl::StripAsciiWhitespace(result->out));
  slurm_id = slurm_id.substr(0, slurm_id.find(';'));
  uint64_t number = 0;
  if (!absl::SimpleAtoi(slurm_id, &number)) {
    return absl::InternalError(
        absl::StrCat("sbatch gave no job id for ", job.name, ": \"", result->out, "\""));
  }
  std::lock_guard<std::mutex> lock(mu_);
  running_[id] = {slurm_id, job.name, log_path, absl::Now()};
  interval_ = options_.poll_interval;  // something changed: look again soon
  next_poll_ = absl::Now() + interval_;
  return id;
}

void SlurmBatchSystem::PollLocked() {
  std::vector<std::string> ids;
  for (const auto& [id, job] : running_) ids.push_back(job.slurm_id);
  absl::StatusOr<CommandResult> result =
      RunCommand({"squeue", "--noheader", "--states=all", "--format=%i|%T",
                  "--jobs=" + absl::StrJoin(ids, ",")},
                 {}, options_.command_timeout);
  // squeue fails when it knows none of the ids (all purged): not a fault.
  const bool none_known =
      result.ok() && result->exit_code != 0 && absl::StrContains(result->err, "Invalid job id");
  if (!result.ok() || (result->exit_code != 0 && !none_known)) {
    SchedulerFailedLocked(result.ok() ? CommandFailure(*result)
                                      : std::string(result.status().message()));
    return;
  }
  failing_since_.reset();
  const std::map<std::string, std::string> states =
      none_known ? std::map<std::string, std::string>{} : ParseSqueueStates(result->out);
  bool changed = false;
  for (auto it = running_.begin(); it != running_.end();) {
    const auto state = states.find(it->second.slurm_id);
    if (state != states.end() && !IsFinalSlurmState(state->second)) {
      ++it;
      continue;
    }
    const JobId id = (it++)->first;
    FinishLocked(id, state == states.end() ? "" : state->second);
    changed = true;
  }
  interval_ =
      changed ? options_.poll_interval : std::min(interval_ * 2, options_.max_poll_interval);
}

void SlurmBatchSystem::FinishLocked(JobId id, const std::string& state) {
  const Job job = running_.at(id);
  running_.erase(id);
  FinishedJob finished;
  finished.id = id;
  finished.name = job.name;
  finished.log_path = job.log_path;
  finished.wall_time = absl::Now() - job.issued;
  absl::StatusOr<CommandResult> shown = RunCommand(
      {"scontrol", "show", "job", "--oneliner", job.slurm_id}, {}, options_.command_timeout);
  const std::optional<SlurmJobEnd> end =
      shown.ok() && shown->exit_code == 0 ? ParseScontrolJob(shown->out) : std::nullopt;
  if (end) {
    finished.exit_code = end->exit_code;
    finished.signal = end->signal;
    finished.reason = end->reason;
    finished.host = end->host;
    if (end->wall_time) finished.wall_time = *end->wall_time;
  } else {
    // Gone from the controller's memory (past MinJobAge) before it was seen
    // to end: its exit status is lost with it.
    finished.exit_code = 1;
    finished.reason =
        absl::StrCat("Slurm job ", job.slurm_id, " ended", state.empty() ? "" : " (" + state + ")",
                     ", and Slurm no longer knows its exit status");
  }
  finished_.push_back(std::move(finished));
}

void SlurmBatchSystem::SchedulerFailedLocked(const std::string& why) {
  const absl::Time now = absl::Now();
  if (!failing_since_) failing_since_ = now;
  interval_ = std::min(interval_ * 2, options_.max_poll_interval);
  if (now - *failing_since_ < options_.scheduler_timeout) return;
  for (const auto& [id, job] : running_) {
    FinishedJob failed;
    failed.id = id;
    failed.name = job.name;
    failed.exit_code = 1;
    failed.log_path = job.log_path;
    failed.wall_time = now - job.issued;
    failed.error =
        absl::StrCat("the Slurm controller has not answered for ",
                     absl::FormatDuration(absl::Trunc(now - *failing_since_, absl::Seconds(1))),
                     "; giving up on Slurm job ", job.slurm_id, " (squeue: ", why, ")");
    finished_.push_back(std::move(failed));
  }
  running_.clear();
}

std::optional<FinishedJob> SlurmBatchSystem::WaitForFinishedJob(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::Time wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_.empty() && !running_.empty() && absl::Now() >= next_poll_) {
        PollLocked();
        next_poll_ = absl::Now() + interval_;
      }
      if (!finished_.empty()) {
        FinishedJob job = std::move(finished_.front());
        finished_.pop_front();
        return job;
      }
      if (running_.empty()) return std::nullopt;
      wake = std::min(next_poll_, deadline);
    }
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(wake - absl::Now());
  }
}

int SlurmBatchSystem::UnfinishedJobs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(running_.size() + finished_.size());
}

std::optional<std::string> SlurmBatchSystem::SchedulerHost() const {
  absl::StatusOr<CommandResult> config =
      RunCommand({"scontrol", "show", "config"}, {}, options_.command_timeout);
  if (!config.ok() || config->exit_code != 0) return std::nullopt;
  std::string host = ParseSlurmctldHost(config->out);
  if (host.empty()) return std::nullopt;
  return host;
}

std::string SlurmBatchSystem::SlurmJobId(JobId id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = running_.find(id);
  return it == running_.end() ? "" : it->second.slurm_id;
}

void SlurmBatchSystem::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_down_) return;
  shut_down_ = true;
  if (running_.empty()) return;
  std::vector<std::string> argv = {"scancel"};
  for (const auto& [id, job] : running_) argv.push_back(job.slurm_id);
  absl::StatusOr<CommandResult> cancelled = RunCommand(argv, {}, options_.command_timeout);
  const std::string failure = !cancelled.ok() ? std::string(cancelled.status().message())
                              : cancelled->exit_code != 0 ? CommandFailure(*cancelled)
                                                          : "";
  for (const auto& [id, job] : running_) {
    FinishedJob ended;
    ended.id = id;
    ended.name = job.name;
    ended.signal = SIGTERM;  // what scancel sends first
    ended.exit_code = 128 + SIGTERM;
    ended.reason = "cancelled";
    if (!failure.empty()) ended.error = absl::StrCat("scancel ", job.slurm_id, ": ", failure);
    ended.log_path = job.log_path;
    ended.wall_time = absl::Now() - job.issued;
    finished_.push_back(std::move(ended));
  }
  running_.clear();
}

}  // namespace toil::batch
