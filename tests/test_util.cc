// Process and sink helpers for tests; see test_util.h.
#include "tests/test_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

extern char** environ;

namespace toil::testing {
namespace {

std::vector<std::string> BuildEnvironment(const std::vector<EnvChange>& changes) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const char* equals = std::strchr(*e, '=');
    if (equals) env[std::string(*e, equals - *e)] = equals + 1;
  }
  for (const EnvChange& change : changes) {
    if (change.value) {
      env[change.name] = *change.value;
    } else {
      env.erase(change.name);
    }
  }
  std::vector<std::string> result;
  for (const auto& [name, value] : env) result.push_back(name + "=" + value);
  return result;
}

pid_t Spawn(const std::vector<std::string>& argv,
            const std::vector<EnvChange>& env, int* out_fd, int* err_fd) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    std::abort();
  }
  std::vector<std::string> env_strings = BuildEnvironment(env);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (std::string& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    execve(argp[0], argp.data(), envp.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  *out_fd = out_pipe[0];
  *err_fd = err_pipe[0];
  return pid;
}

// Reads whatever is available on `fd` into `out`; false at end of file.
bool ReadSome(int fd, std::string* out) {
  char buffer[65536];
  const ssize_t n = read(fd, buffer, sizeof(buffer));
  if (n > 0) {
    out->append(buffer, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && errno == EINTR;
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Reads both pipes to their end (or the deadline), then reaps the child.
ProcessResult Finish(pid_t pid, int out_fd, int err_fd, std::string out,
                     absl::Time started, absl::Time deadline) {
  ProcessResult result;
  result.out = std::move(out);
  pollfd polls[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      timed_out = true;
      break;
    }
    const int ready = poll(polls, 2, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (polls[i].fd < 0 || !(polls[i].revents & (POLLIN | POLLHUP))) continue;
      if (!ReadSome(polls[i].fd, i == 0 ? &result.out : &result.err)) {
        close(polls[i].fd);
        polls[i].fd = -1;
        --open_fds;
      }
    }
  }
  if (timed_out) kill(pid, SIGKILL);
  for (pollfd& p : polls) {
    if (p.fd >= 0) close(p.fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = timed_out ? -1 : ExitCode(status);
  result.elapsed = absl::Now() - started;
  return result;
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::string text;
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return text;
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0) text.append(buffer, n);
  std::fclose(f);
  return text;
}

std::string Runfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return path;
  return absl::StrCat(srcdir, "/", workspace ? workspace : "toil_rtlog", "/",
                      path);
}

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<EnvChange>& env,
                         absl::Duration timeout) {
  int out_fd;
  int err_fd;
  const absl::Time started = absl::Now();
  const pid_t pid = Spawn(argv, env, &out_fd, &err_fd);
  return Finish(pid, out_fd, err_fd, "", started, started + timeout);
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::vector<EnvChange>& env)
    : started_(absl::Now()) {
  pid_ = Spawn(argv, env, &out_fd_, &err_fd_);
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

std::string BackgroundProcess::ReadStdoutLines(int lines,
                                               absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  auto count = [&] {
    return static_cast<int>(std::count(out_.begin(), out_.end(), '\n'));
  };
  while (count() < lines && absl::Now() < deadline) {
    pollfd p = {out_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) > 0 && !ReadSome(out_fd_, &out_)) break;
  }
  return out_;
}

ProcessResult BackgroundProcess::Stop(int signal, absl::Duration timeout) {
  kill(pid_, signal);
  ProcessResult result =
      Finish(pid_, out_fd_, err_fd_, out_, started_, absl::Now() + timeout);
  pid_ = -1;
  return result;
}

UdpSender::UdpSender(const rtlog::internal::SocketAddress& to) {
  fd_ = socket(to.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd_, 0) << std::strerror(errno);
  EXPECT_EQ(connect(fd_, to.get(), to.length), 0) << std::strerror(errno);
  // Room for bursts: the tests send hundreds of datagrams at once.
  const int buffer = 8 << 20;
  setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
  sockaddr_storage self{};
  socklen_t length = sizeof(self);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&self), &length);
  address_ = rtlog::internal::FromSockaddr(reinterpret_cast<sockaddr*>(&self), length)
                 .ToString();
}

UdpSender::~UdpSender() { close(fd_); }

void UdpSender::Send(const std::string& datagram) {
  EXPECT_EQ(send(fd_, datagram.data(), datagram.size(), 0),
            static_cast<ssize_t>(datagram.size()))
      << std::strerror(errno) << " (" << datagram.size() << " bytes)";
}

void CollectingSink::Send(const rtlog::LogEntry& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.push_back({entry.record(), std::string(entry.text_message()),
                      std::string(entry.sender()), entry.authenticity()});
}

std::vector<CollectingSink::Entry> CollectingSink::entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

bool CollectingSink::WaitFor(size_t n, absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (entries_.size() >= n) return true;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size() >= n;
}

}  // namespace toil::testing
