// Starting a job's process guarded from its first instruction; see
// guarded_spawn.h.
#include "toil/batch/guarded_spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "toil/batch/command_path.h"
#include "toil/batch/spawn_signals.h"

namespace toil::batch {
namespace {

// Pointers into the strings of `values`, ended by a null pointer (execve's
// form, built before vfork: the child allocates nothing).
std::vector<char*> Pointers(const std::vector<std::string>& values) {
  std::vector<char*> pointers;
  pointers.reserve(values.size() + 1);
  for (const std::string& value : values) pointers.push_back(const_cast<char*>(value.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// Whether the child resets `signal_number` to its default action: those a
// job expects to end it, and any the leader has a handler for.
bool ResetToDefault(int signal_number) {
  for (int ending : kJobEndingSignals) {
    if (signal_number == ending) return true;
  }
  struct sigaction current {};
  if (sigaction(signal_number, nullptr, &current) != 0) return false;
  return current.sa_handler != SIG_IGN && current.sa_handler != SIG_DFL;
}

// In the child: the default action for the signals ResetToDefault names,
// while every signal is still blocked (a handler of the leader never runs
// here).
void ResetSignals() {
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
    if (ResetToDefault(signal_number)) sigaction(signal_number, &default_action, nullptr);
  }
}

// In the child: `file` set up; false (errno set) when it cannot be.
bool SetUp(const ChildFile& file) {
  if (file.path.empty()) {
    if (file.from == file.fd) return fcntl(file.fd, F_SETFD, 0) == 0;
    return dup2(file.from, file.fd) == file.fd;
  }
  const int opened = open(file.path.c_str(), file.flags, file.mode);
  if (opened < 0) return false;
  if (opened == file.fd) return true;
  const bool copied = dup2(opened, file.fd) == file.fd;
  close(opened);
  return copied;
}

// The child, from vfork to exec; on a failure, its errno goes to the leader
// through `error_fd` (closed by a successful exec).
[[noreturn]] void RunChild(const std::string& path, char* const* argv, char* const* envp,
                           const std::vector<ChildFile>& files, int guard_fd, int error_fd) {
  ResetSignals();
  setpgid(0, 0);
  ProcessGroupGuard::AddFromChild(guard_fd);
  bool ready = true;
  for (const ChildFile& file : files) {
    if (!(ready = SetUp(file))) break;
  }
  if (ready) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(path.c_str(), argv, envp);
  }
  const int error = errno;
  while (write(error_fd, &error, sizeof(error)) < 0 && errno == EINTR) {
  }
  _exit(127);
}

// A close-on-exec pipe whose ends are above the standard descriptors (the
// child's files, set up later, may replace 0, 1 and 2).
bool ErrorPipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  for (int i = 0; i < 2; ++i) {
    if (fds[i] > STDERR_FILENO) continue;
    const int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    close(fds[i]);
    fds[i] = moved;
  }
  if (fds[0] >= 0 && fds[1] >= 0) return true;
  for (int i = 0; i < 2; ++i) {
    if (fds[i] >= 0) close(fds[i]);
  }
  return false;
}

// The errno the child sent through `read_fd` when it could not execute its
// program; 0 when it did (the pipe closed empty). Closes `read_fd`.
int ExecError(int read_fd) {
  int error = 0;
  ssize_t n;
  while ((n = read(read_fd, &error, sizeof(error))) < 0 && errno == EINTR) {
  }
  close(read_fd);
  return n == sizeof(error) ? error : 0;
}

}  // namespace

ChildFile ChildFile::Open(int fd, std::string path, int flags, mode_t mode) {
  ChildFile file;
  file.fd = fd;
  file.path = std::move(path);
  file.flags = flags;
  file.mode = mode;
  return file;
}

ChildFile ChildFile::Copy(int from, int fd) {
  ChildFile file;
  file.fd = fd;
  file.from = from;
  return file;
}

int StartGuardedProcess(const JobProcess& process, ProcessGroupGuard& guard, pid_t* pid) {
  if (process.argv.empty()) return ENOENT;
  std::string path;
  if (const int error = FindCommand(process.argv[0], &path); error != 0) return error;
  const std::vector<char*> argv = Pointers(process.argv);
  const std::vector<char*> envp = Pointers(process.env);
  const int guard_fd = guard.ChildDescriptor();
  int error_pipe[2];
  if (!ErrorPipe(error_pipe)) return errno;
  sigset_t all;
  sigset_t before;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &before);
  // vfork: no copy of the leader's page tables (see guarded_spawn.h); every
  // signal stays blocked in the child until RunChild has reset the handlers.
  const pid_t child = vfork();
  if (child == 0) {
    RunChild(path, argv.data(), envp.data(), process.files, guard_fd, error_pipe[1]);
  }
  const int fork_error = errno;
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  close(error_pipe[1]);
  if (child < 0) {
    close(error_pipe[0]);
    return fork_error;
  }
  const int exec_error = ExecError(error_pipe[0]);
  if (exec_error != 0) {
    guard.Remove(child);  // while its zombie still holds the group's id
    while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
    }
    return exec_error;
  }
  *pid = child;
  return 0;
}

}  // namespace toil::batch
