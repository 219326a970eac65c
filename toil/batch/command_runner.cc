// Running a scheduler command; see command_runner.h.
#include "toil/batch/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "toil/batch/job_environment.h"
#include "toil/batch/spawn_signals.h"

extern char** environ;

namespace toil::batch {
namespace {

// This process's environment with `extra` set on top (or `extra` alone,
// when it is `complete`), as NAME=value strings.
std::vector<std::string> Environment(const std::map<std::string, std::string>& extra,
                                     bool complete) {
  std::map<std::string, std::string> env;
  for (char** e = complete ? nullptr : environ; e != nullptr && *e != nullptr; ++e) {
    const char* equals = std::strchr(*e, '=');
    if (equals != nullptr) env[std::string(*e, equals - *e)] = equals + 1;
  }
  for (const auto& [name, value] : extra) env[name] = value;
  return EnvironmentStrings(env);
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Reads both pipes until they close or the deadline passes, and closes
// them; false on the deadline.
bool ReadAll(int out_fd, int err_fd, absl::Time deadline, CommandResult* result) {
  pollfd polls[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) {
      for (pollfd& p : polls) {
        if (p.fd >= 0) close(p.fd);
      }
      return false;
    }
    if (poll(polls, 2, static_cast<int>(std::min<int64_t>(left, 1000))) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (polls[i].fd < 0 || !(polls[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      const ssize_t n = read(polls[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        (i == 0 ? result->out : result->err).append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(polls[i].fd);
        polls[i].fd = -1;
        --open_fds;
      }
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::map<std::string, std::string>& env,
                                         absl::Duration timeout, bool env_is_complete) {
  if (argv.empty()) return absl::InvalidArgumentError("no command to run");
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return absl::InternalError(std::strerror(errno));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return absl::InternalError(std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  std::vector<std::string> args = argv;
  std::vector<std::string> env_strings = Environment(env, env_is_complete);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  SetDefaultSignals(&attributes);
  pid_t pid = -1;
  const int error = posix_spawnp(&pid, args[0].c_str(), &actions, &attributes,
                                 Pointers(args).data(), Pointers(env_strings).data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (error != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return absl::NotFoundError(absl::StrCat("cannot run ", argv[0], ": ", std::strerror(error)));
  }
  CommandResult result;
  const bool finished = ReadAll(out_pipe[0], err_pipe[0], absl::Now() + timeout, &result);
  if (!finished) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!finished) {
    return absl::DeadlineExceededError(absl::StrCat(
        argv[0], " did not finish within ", absl::FormatDuration(timeout), " and was killed"));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string CommandFailure(const CommandResult& result) {
  absl::string_view said = result.err.empty() ? result.out : result.err;
  said = absl::StripAsciiWhitespace(said);
  if (said.empty()) return absl::StrCat("exit status ", result.exit_code);
  return std::string(said);
}

}  // namespace toil::batch
