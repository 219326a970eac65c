// For OutputPump's tests; see pump_test_util.h.
#include "toil/batch/pump_test_util.h"

#include <spawn.h>
#include <unistd.h>

#include <cstring>

#include "gtest/gtest.h"

namespace toil::testing {

void RecordingListener::Output(const OutputSource& source, OutputStream stream,
                               absl::string_view bytes, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  Job& job = jobs_[source.job];
  job.source = source;
  (stream == OutputStream::kStdout ? job.out : job.err).append(bytes.data(), bytes.size());
}

void RecordingListener::Ended(const OutputSource& source) {
  std::lock_guard<std::mutex> lock(mu_);
  jobs_[source.job].source = source;
  ++jobs_[source.job].ended;
}

RecordingListener::Job RecordingListener::Of(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = jobs_.find(name);
  return found == jobs_.end() ? Job{} : found->second;
}

pid_t SpawnUnderPump(OutputPump& pump, uint64_t key, const std::string& log_path,
                     std::vector<std::string> argv) {
  OutputPump::ChildEnds ends;
  if (const int error = pump.Open(key, log_path, &ends); error != 0) {
    ADD_FAILURE() << "cannot open " << log_path << ": " << strerror(error);
    return -1;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, ends.stdout_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, ends.stderr_fd, STDERR_FILENO);
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    pump.Abandon(key);
    ADD_FAILURE() << "cannot start " << argv[0] << ": " << strerror(spawned);
    return -1;
  }
  pump.Started({key, argv[0], pid, argv[0]});
  return pid;
}

}  // namespace toil::testing
