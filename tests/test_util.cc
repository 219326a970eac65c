// Process and sink helpers for tests; see test_util.h.
#include "tests/test_util.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
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

pid_t Spawn(const std::vector<std::string>& argv, const std::vector<EnvChange>& env, int* out_fd,
            int* err_fd, bool own_process_group = false) {
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
    if (own_process_group) setpgid(0, 0);
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
// `out` and `err` hold what was read from them before. A nonzero
// `repeat_signal` is sent again every second until the pipes close: GCC 12's
// ThreadSanitizer runtime sometimes loses a signal that arrives just before
// the target blocks (seen about once in 20 with a process that installs a
// handler and then waits in pause()); the repeat is delivered, and a process
// already on its way out ignores it.
ProcessResult Finish(pid_t pid, int out_fd, int err_fd, std::string out, std::string err,
                     absl::Time started, absl::Time deadline, int repeat_signal = 0) {
  ProcessResult result;
  result.out = std::move(out);
  result.err = std::move(err);
  pollfd polls[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  bool timed_out = false;
  absl::Time signalled = absl::Now();
  while (open_fds > 0) {
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    if (repeat_signal != 0 && now - signalled >= absl::Seconds(1)) {
      kill(pid, repeat_signal);
      signalled = now;
    }
    const int wait_ms =
        static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(deadline - now) + 1, 1000));
    if (poll(polls, 2, wait_ms) <= 0) continue;
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

// Reads from `fd` into `*text` until `done` holds, the pipe ends, or the
// deadline passes; returns whether `done` held.
bool ReadUntil(int fd, std::string* text, absl::Time deadline, const std::function<bool()>& done) {
  while (!done()) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd p = {fd, POLLIN, 0};
    const int wait_ms =
        static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 100));
    if (poll(&p, 1, wait_ms) > 0 && !ReadSome(fd, text)) return done();
  }
  return true;
}

}  // namespace

absl::Duration Scaled(absl::Duration base) {
  static const double scale = [] {
    const char* text = std::getenv("TOIL_TEST_TIME_SCALE");
    double value = 1;
    if (text != nullptr && (!absl::SimpleAtod(text, &value) || value < 1)) {
      ADD_FAILURE() << "TOIL_TEST_TIME_SCALE=\"" << text << "\" is not a number >= 1; using 1";
      value = 1;
    }
    return value;
  }();
  return base * scale;
}

::testing::AssertionResult WaitUntil(const std::function<bool()>& condition, absl::Duration timeout,
                                     absl::string_view what) {
  const absl::Duration limit = Scaled(timeout);
  const absl::Time deadline = absl::Now() + limit;
  while (!condition()) {
    if (absl::Now() >= deadline) {
      return ::testing::AssertionFailure()
             << "timed out after " << limit << " waiting for " << what;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return ::testing::AssertionSuccess();
}

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

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    ADD_FAILURE() << "cannot write " << path << ": " << std::strerror(errno);
    return;
  }
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  chmod(path.c_str(), mode);
}

// Bazel (4.2) gives a test TEST_TMPDIR but not TMPDIR. What a test's
// leaders and batch systems make under $TMPDIR (a run's job log directory,
// when none is given) goes in the test's own directory, and its child
// processes inherit it; not in the machine's /tmp, where nothing removes it.
// Before main, so that every test linking this library has it.
const bool kTmpdirIsTheTests = [] {
  const char* dir = std::getenv("TEST_TMPDIR");
  if (dir != nullptr) setenv("TMPDIR", dir, 1);
  return true;
}();

std::string TempPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

std::string Runfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return path;
  return absl::StrCat(srcdir, "/", workspace ? workspace : "toil_rtlog", "/", path);
}

std::string Tool() { return Runfile("toil/cli/toil-rtlog"); }

std::string TestJob() { return Runfile("tests/test_job"); }

std::string PythonPackagePath() {
  return std::string(
      absl::StripSuffix(Runfile("python/toil_rtlog/__init__.py"), "/toil_rtlog/__init__.py"));
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::vector<EnvChange>& env,
                         absl::Duration timeout) {
  int out_fd;
  int err_fd;
  const absl::Time started = absl::Now();
  const pid_t pid = Spawn(argv, env, &out_fd, &err_fd);
  return Finish(pid, out_fd, err_fd, "", "", started, started + Scaled(timeout));
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::vector<EnvChange>& env, bool own_process_group)
    : started_(absl::Now()) {
  pid_ = Spawn(argv, env, &out_fd_, &err_fd_, own_process_group);
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

std::string BackgroundProcess::ReadStdoutLines(int lines, absl::Duration timeout) {
  ReadUntil(out_fd_, &out_, absl::Now() + Scaled(timeout),
            [&] { return std::count(out_.begin(), out_.end(), '\n') >= lines; });
  return out_;
}

std::string BackgroundProcess::TakeStdout(absl::Duration timeout) {
  ReadUntil(out_fd_, &out_, absl::Now() + Scaled(timeout), [&] { return !out_.empty(); });
  std::string taken;
  taken.swap(out_);
  return taken;
}

bool BackgroundProcess::WaitForStderr(absl::string_view text, absl::Duration timeout) {
  return ReadUntil(err_fd_, &err_, absl::Now() + Scaled(timeout),
                   [&] { return err_.find(text.data(), 0, text.size()) != std::string::npos; });
}

bool BackgroundProcess::WaitForStdout(absl::string_view text, absl::Duration timeout) {
  return ReadUntil(out_fd_, &out_, absl::Now() + Scaled(timeout),
                   [&] { return out_.find(text.data(), 0, text.size()) != std::string::npos; });
}

ProcessResult BackgroundProcess::Stop(int signal, absl::Duration timeout) {
  kill(pid_, signal);
  return Finished(signal, timeout);
}

ProcessResult BackgroundProcess::StopGroup(int signal, absl::Duration timeout) {
  kill(-pid_, signal);
  return Finished(signal, timeout);
}

ProcessResult BackgroundProcess::Finished(int signal, absl::Duration timeout) {
  ProcessResult result = Finish(pid_, out_fd_, err_fd_, out_, err_, started_,
                                absl::Now() + Scaled(timeout), signal == SIGKILL ? 0 : signal);
  pid_ = -1;
  return result;
}

std::map<std::string, std::string> ParseExports(const std::string& text) {
  std::map<std::string, std::string> exports;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (!absl::ConsumePrefix(&line, "export ")) continue;
    const size_t equals = line.find('=');
    if (equals == absl::string_view::npos) continue;
    std::string value(line.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    exports[std::string(line.substr(0, equals))] = value;
  }
  return exports;
}

uint64_t ViewerMissed(absl::string_view tail_stderr) {
  uint64_t missed = 0;
  for (absl::string_view line : absl::StrSplit(tail_stderr, '\n')) {
    if (!absl::ConsumePrefix(&line, "toil-rtlog tail: ")) continue;
    const size_t end = line.find(" records missed");
    uint64_t n = 0;
    if (end != absl::string_view::npos && absl::SimpleAtoi(line.substr(0, end), &n)) missed += n;
  }
  return missed;
}

long ThreadVoluntarySwitches() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_nvcsw;
}

bool UdpPortInUse(int port) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool in_use =
      bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 && errno == EADDRINUSE;
  close(fd);
  return in_use;
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
  address_ = rtlog::internal::FromSockaddr(reinterpret_cast<sockaddr*>(&self), length).ToString();
}

UdpSender::~UdpSender() { close(fd_); }

void UdpSender::Send(const std::string& datagram) {
  EXPECT_EQ(send(fd_, datagram.data(), datagram.size(), 0), static_cast<ssize_t>(datagram.size()))
      << std::strerror(errno) << " (" << datagram.size() << " bytes)";
}

void CollectingSink::Send(const rtlog::LogEntry& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.push_back({rtlog::internal::RecordOf(entry), std::string(entry.text_message()),
                      std::string(entry.sender()), entry.authenticity()});
}

std::vector<CollectingSink::Entry> CollectingSink::entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

::testing::AssertionResult CollectingSink::WaitFor(size_t n, absl::Duration timeout) const {
  ::testing::AssertionResult result = WaitUntil(
      [&] {
        std::lock_guard<std::mutex> lock(mu_);
        return entries_.size() >= n;
      },
      timeout, absl::StrCat(n, " records"));
  if (!result) result << " (" << entries().size() << " arrived)";
  return result;
}

void StalledSink::Send(const rtlog::LogEntry&) {
  std::unique_lock<std::mutex> lock(mu_);
  released_cv_.wait(lock, [&] { return released_; });
  ++count_;
}

void StalledSink::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  released_ = true;
  released_cv_.notify_all();
}

uint64_t StalledSink::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

}  // namespace toil::testing
