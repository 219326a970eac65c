// For OutputPump's tests; see pump_test_util.h.
#include "toil/batch/pump_test_util.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "absl/time/clock.h"
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

namespace {

// Whether `done` held within 30 s, looked at every millisecond. (Not
// tests/test_util's WaitUntil: toil/batch's libraries stay off the sinks it
// links.)
template <typename Done>
bool Within30Seconds(Done done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

}  // namespace

int WaitForExit(pid_t pid) {
  int status = -1;
  return Within30Seconds([&] { return waitpid(pid, &status, WNOHANG) == pid; }) ? status : -1;
}

::testing::AssertionResult EndUnderPump(OutputPump& pump, uint64_t key, const std::string& log_path,
                                        std::vector<std::string> argv) {
  const pid_t pid = SpawnUnderPump(pump, key, log_path, std::move(argv));
  if (pid <= 0) return ::testing::AssertionFailure() << "not started";
  if (const int status = WaitForExit(pid); status != 0) {
    return ::testing::AssertionFailure() << "wait status " << status;
  }
  pump.ProcessEnded(key);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult RunUnderPump(OutputPump& pump, uint64_t key, const std::string& log_path,
                                        std::vector<std::string> argv) {
  ::testing::AssertionResult ended = EndUnderPump(pump, key, log_path, std::move(argv));
  if (!ended) return ended;
  if (!Within30Seconds([&] { return pump.Done(key); })) {
    return ::testing::AssertionFailure() << "its output was not read within 30 s";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace toil::testing
