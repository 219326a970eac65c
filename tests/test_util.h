// Helpers for tests that run real processes: locating built programs in the
// test's runfiles, running a program to completion with its output captured,
// a sink that collects records in memory, and waiting for a condition with a
// deadline. Linking it sets TMPDIR to the test's own TEST_TMPDIR.
//
// Every deadline a helper takes is scaled by Scaled(): a slow or busy machine
// (or a sanitizer build) gives a slow pass, not a failure. Tests wait for the
// condition they need, never for a fixed time.
#ifndef TESTS_TEST_UTIL_H_
#define TESTS_TEST_UTIL_H_

#include <sys/types.h>

#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/common/host_port.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace toil::testing {

// `base` times TOIL_TEST_TIME_SCALE (default 1; .bazelrc sets it for the
// sanitizer configurations, which run several times slower).
absl::Duration Scaled(absl::Duration base);

// Polls `condition` until it holds or Scaled(timeout) passes. On timeout the
// failure says what was awaited ("<what> after 30s").
::testing::AssertionResult WaitUntil(const std::function<bool()>& condition, absl::Duration timeout,
                                     absl::string_view what);

// The path of a file in this workspace's runfiles, e.g. "tests/test_job".
std::string Runfile(const std::string& path);
// The toil-rtlog tool, and the test job (tests/test_job.cc), from the
// runfiles.
std::string Tool();
std::string TestJob();
// The directory that holds the toil_rtlog Python package (python/ in the
// runfiles), for PYTHONPATH.
std::string PythonPackagePath();

// A path in this test's own temporary directory ($TEST_TMPDIR/name).
std::string TempPath(absl::string_view name);

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed; -1 when it timed out
  std::string out;
  std::string err;
  absl::Duration elapsed;
};

// The whole contents of a file ("" when it cannot be read).
std::string ReadFile(const std::string& path);
// Writes `text` to the file `path` (made or emptied), with `mode`; a test
// failure when it cannot.
void WriteFile(const std::string& path, const std::string& text, mode_t mode = 0600);

// Runs `argv` with `env` added to (or, with an empty value and `unset`,
// removed from) this process's environment; kills it after `timeout`.
struct EnvChange {
  std::string name;
  std::optional<std::string> value;  // nullopt: remove the variable
};
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<EnvChange>& env = {},
                         absl::Duration timeout = absl::Seconds(60));

// A process started in the background with stdout and stderr captured.
class BackgroundProcess {
 public:
  // `own_process_group`: the process leads a new process group, as a
  // terminal's foreground job does (for StopGroup).
  BackgroundProcess(const std::vector<std::string>& argv, const std::vector<EnvChange>& env = {},
                    bool own_process_group = false);
  ~BackgroundProcess();
  // Reads stdout until it holds `lines` lines (or `timeout` passes).
  std::string ReadStdoutLines(int lines, absl::Duration timeout);
  // Waits up to `timeout` for stdout to have anything new; returns what it
  // has, and forgets it (for following a long output as it comes).
  std::string TakeStdout(absl::Duration timeout);
  // Reads stderr (stdout) until it contains `text`; whether it did in time.
  // What was read is kept, and Stop() returns it with the rest.
  bool WaitForStderr(absl::string_view text, absl::Duration timeout);
  bool WaitForStdout(absl::string_view text, absl::Duration timeout);
  // Sends `signal` (0: none, only wait) and waits for the exit, sending it
  // again every second; returns the result.
  ProcessResult Stop(int signal, absl::Duration timeout = absl::Seconds(30));
  // Sends `signal` once to the process's whole group, as a terminal does
  // for Ctrl-C, and waits for the exit.
  ProcessResult StopGroup(int signal, absl::Duration timeout = absl::Seconds(30));
  pid_t pid() const { return pid_; }
  // What was read of stderr so far (by WaitForStderr).
  const std::string& stderr_so_far() const { return err_; }

 private:
  ProcessResult Finished(int repeat_signal, absl::Duration timeout);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  absl::Time started_;
};

// The `export NAME='value'` lines that `toil-rtlog serve` prints, as
// name -> value.
std::map<std::string, std::string> ParseExports(const std::string& text);

// The records a `toil-rtlog tail` said it missed, from its stderr.
uint64_t ViewerMissed(absl::string_view tail_stderr);

// Whether a UDP port on 127.0.0.1 is bound by someone (a server started in
// another process that cannot say when it is ready).
bool UdpPortInUse(int port);

// How many times the calling thread has gone to sleep (voluntary context
// switches), for tests that a wait is one sleep rather than a poll loop.
long ThreadVoluntarySwitches();

// A UDP socket connected to `to`, for sending datagrams by hand.
class UdpSender {
 public:
  explicit UdpSender(const rtlog::internal::SocketAddress& to);
  ~UdpSender();
  UdpSender(const UdpSender&) = delete;
  UdpSender& operator=(const UdpSender&) = delete;
  // Sends one datagram; fails the test if it does not go out whole.
  void Send(const std::string& datagram);
  // This socket's own address, "ip:port": what the server sees as sender.
  const std::string& address() const { return address_; }

 private:
  int fd_;
  std::string address_;
};

// Keeps a copy of every record it is sent.
class CollectingSink : public rtlog::LogSink {
 public:
  struct Entry {
    rtlog::LogRecord record;
    std::string message;
    std::string sender;
    rtlog::Authenticity authenticity = rtlog::Authenticity::kNotChecked;
  };
  void Send(const rtlog::LogEntry& entry) override;
  std::vector<Entry> entries() const;
  // Waits until at least `n` records arrived; on timeout, says how many did.
  ::testing::AssertionResult WaitFor(size_t n, absl::Duration timeout) const;

 private:
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

// A sink that stalls on its first record until released, as a slow disk or
// terminal would, and counts what it is sent: for filling a server's socket
// buffer on purpose.
class StalledSink : public rtlog::LogSink {
 public:
  void Send(const rtlog::LogEntry& entry) override;
  void Release();
  uint64_t count() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable released_cv_;
  bool released_ = false;
  uint64_t count_ = 0;
};

// Why a test that needs real infrastructure cannot run: under CI=true a
// failure (CI must run everything), else a skip with the reason.
#define TOIL_SKIP_OR_FAIL_UNDER_CI(why)                           \
  do {                                                            \
    const char* ci = std::getenv("CI");                           \
    if (ci != nullptr && std::string(ci) == "true") {             \
      FAIL() << "cannot run here, and CI must run it: " << (why); \
    }                                                             \
    GTEST_SKIP() << (why);                                        \
  } while (0)

}  // namespace toil::testing

#endif  // TESTS_TEST_UTIL_H_
