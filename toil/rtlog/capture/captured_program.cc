// A program run with its output captured; see captured_program.h.
#include "toil/rtlog/capture/captured_program.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "toil/rtlog/base/environment.h"
#include "toil/rtlog/base/fd_write.h"
#include "toil/rtlog/base/stderr_copy.h"
#include "toil/rtlog/log_line.h"
#include "toil/rtlog/overflow.h"

extern char** environ;

namespace toil::rtlog::capture {
namespace {

// The signals this process ignores while the program runs (they are the
// program's), and SIGPIPE (a log file gone is not a reason to stop).
constexpr int kIgnored[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};

// Lines are read, and sent, in batches this far apart at most while they
// come slowly: a job printing a line a millisecond costs a few wakeups
// every 10 ms rather than several per line. Output that fills a read is
// read again at once.
constexpr absl::Duration kReadPause = absl::Milliseconds(5);
constexpr absl::Duration kSendInterval = absl::Milliseconds(10);
constexpr size_t kReadBytes = 64 << 10;

// Lines offered while the queue is known to be full are only counted: a
// flood costs a count per line, not a record built and refused. Each read
// offers again.
struct Shedding {
  bool full = false;
  uint64_t shed = 0;
  // Offers again from now on, after counting what was shed.
  void Reset() {
    if (shed > 0) CountDroppedLines(shed);
    shed = 0;
    full = false;
  }
};

// One of the program's streams: where its bytes go as they came, and the
// lines sent (none for the record copies).
struct Stream {
  int fd = -1;  // the pipe's read end; -1 once it ended
  int to = -1;
  std::unique_ptr<OutputLines> lines;
  const char* name = "";
  bool write_failed = false;
  Shedding shedding;
};

std::vector<std::string> ChildEnvironment(int copy_fd, int err_fd) {
  const std::string copy_prefix = absl::StrCat(kStderrCopyVariable, "=");
  std::vector<std::string> env;
  bool python_set = false;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (absl::StartsWith(*entry, copy_prefix)) continue;
    if (absl::StartsWith(*entry, "PYTHONUNBUFFERED=")) python_set = true;
    env.emplace_back(*entry);
  }
  env.push_back(copy_prefix + internal::DescribeCopyDescriptor(copy_fd, err_fd));
  if (!python_set) env.push_back("PYTHONUNBUFFERED=1");
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Starts the program with `out` and `err` as its stdout and stderr and
// `copy` open as itself; the signals this process ignores at their default.
absl::StatusOr<pid_t> Spawn(std::vector<std::string> argv, int out, int err, int copy) {
  std::vector<std::string> env = ChildEnvironment(copy, err);
  std::vector<char*> args = Pointers(argv);
  std::vector<char*> envp = Pointers(env);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&actions, copy, copy);  // kept open across exec
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signal_number : kIgnored) sigaddset(&defaults, signal_number);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int error =
      posix_spawnp(&pid, argv[0].c_str(), &actions, &attributes, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    return absl::Status(
        error == ENOENT ? absl::StatusCode::kNotFound : absl::StatusCode::kPermissionDenied,
        absl::StrCat("cannot run ", argv[0], ": ", std::strerror(error)));
  }
  return pid;
}

// Reads what `stream` has; how many bytes (0: nothing, or it ended).
size_t ReadFrom(Stream& stream, absl::Time now) {
  char buffer[kReadBytes];
  const ssize_t n = read(stream.fd, buffer, sizeof(buffer));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n <= 0) {
    close(stream.fd);
    stream.fd = -1;
    return 0;
  }
  const absl::string_view bytes(buffer, static_cast<size_t>(n));
  if (const int error = internal::WriteFully(stream.to, bytes);
      error != 0 && !stream.write_failed) {
    stream.write_failed = true;
    LogLine(Level::kWarning,
            absl::StrCat("cannot write the job's ", stream.name,
                         " to its log: ", std::strerror(error), " (its lines are still sent here)"),
            "toil-rtlog");
  }
  if (stream.lines != nullptr) {
    stream.shedding.Reset();
    stream.lines->Add(bytes, now);
  }
  return static_cast<size_t>(n);
}

// The loop: reads the streams until they end (or linger after the
// program's end), ticks held progress, and reaps the program.
int Pump(pid_t pid, std::vector<Stream>& streams, absl::Duration linger) {
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  int status = 0;
  bool ended = false;
  absl::Time quiet_since = absl::InfiniteFuture();
  while (true) {
    std::vector<pollfd> fds;
    for (const Stream& s : streams) {
      if (s.fd >= 0) fds.push_back({s.fd, POLLIN, 0});
    }
    if (ended && fds.empty()) break;
    const size_t watched = fds.size();
    if (!ended && pidfd >= 0) fds.push_back({pidfd, POLLIN, 0});
    absl::Time wake = ended ? quiet_since + linger : absl::InfiniteFuture();
    if (!ended && pidfd < 0) wake = absl::Now() + absl::Milliseconds(100);
    for (const Stream& s : streams) {
      if (s.lines != nullptr) wake = std::min(wake, s.lines->next_tick());
    }
    const absl::Duration wait = std::max(wake - absl::Now(), absl::ZeroDuration());
    const int64_t ms = wait == absl::InfiniteDuration()
                           ? -1
                           : absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1)));
    poll(fds.data(), fds.size(), static_cast<int>(std::min<int64_t>(ms, 60000)));
    const absl::Time now = absl::Now();
    size_t most = 0;  // the largest read
    for (Stream& s : streams) {
      for (size_t i = 0; i < watched; ++i) {
        if (fds[i].fd == s.fd && fds[i].revents != 0) most = std::max(most, ReadFrom(s, now));
      }
      if (s.lines != nullptr) s.lines->Tick(now);
    }
    const bool got = most > 0;
    if (got && most < kReadBytes && !ended) absl::SleepFor(kReadPause);
    if (!ended && waitpid(pid, &status, WNOHANG) == pid) {
      ended = true;
      quiet_since = now;
    }
    if (ended && got) quiet_since = now;
    if (ended && now >= quiet_since + linger) break;
  }
  if (pidfd >= 0) close(pidfd);
  for (Stream& s : streams) {
    if (s.fd >= 0) close(s.fd);
    s.shedding.Reset();
    if (s.lines != nullptr) s.lines->Finish();
    s.shedding.Reset();
  }
  return status;
}

// `stream` sent as lines at `level` under its name.
std::unique_ptr<OutputLines> LinesOf(Stream& stream, Level level, const CaptureOptions& options) {
  Shedding* shedding = &stream.shedding;
  const char* name = stream.name;
  return std::make_unique<OutputLines>(
      [shedding, name, level](absl::string_view text, bool) {
        if (shedding->full) {
          ++shedding->shed;
        } else if (OfferLine(level, text, name) == LineFate::kDropped) {
          shedding->full = true;
        }
      },
      options.progress_interval);
}

}  // namespace

absl::StatusOr<int> RunCaptured(const std::vector<std::string>& argv,
                                const CaptureOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("no program to run");
  int out[2];
  int err[2];
  int copy[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(copy, O_CLOEXEC) != 0) {
    return absl::ResourceExhaustedError(absl::StrCat("cannot make a pipe: ", std::strerror(errno)));
  }
  for (int signal_number : kIgnored) signal(signal_number, SIG_IGN);
  absl::StatusOr<pid_t> pid = Spawn(argv, out[1], err[1], copy[1]);
  for (int fd : {out[1], err[1], copy[1]}) close(fd);
  std::vector<Stream> streams(3);
  streams[0] = {out[0], STDOUT_FILENO, nullptr, "stdout"};
  streams[1] = {err[0], STDERR_FILENO, nullptr, "stderr"};
  streams[2] = {copy[0], STDERR_FILENO, nullptr, "stderr"};
  if (!pid.ok()) {
    for (Stream& s : streams) close(s.fd);
    return pid.status();
  }
  LogForProcess(*pid, argv[0].substr(argv[0].rfind('/') + 1));
  SetOverflowWait(absl::ZeroDuration());  // drop and count, never hold the program up
  SetSendInterval(kSendInterval);
  streams[0].lines = LinesOf(streams[0], options.stdout_level, options);
  streams[1].lines = LinesOf(streams[1], options.stderr_level, options);
  return Pump(*pid, streams, options.linger);
}

}  // namespace toil::rtlog::capture
