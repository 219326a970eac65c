// `toil-rtlog serve`: a standalone leader that shows the records jobs send.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "toil/batch/shell_quote.h"
#include "toil/cli/command.h"
#include "toil/cli/output_flags.h"
#include "toil/rtlog/environment.h"
#include "toil/rtlog/level.h"
#include "toil/rtlog/log_server.h"

ABSL_FLAG(std::string, bind, "127.0.0.1",
          "Numeric address to listen on: 127.0.0.1 (this machine only), "
          "0.0.0.0 or :: (every interface), ::1, or one interface's address.");
ABSL_FLAG(int, port, 0, "UDP port to listen on; 0 picks a free one.");
ABSL_FLAG(int, tail_keep, 16384,
          "How many recent records the control plane keeps for `toil-rtlog tail "
          "--last` and for viewers that fall behind (at least 1).");
ABSL_FLAG(std::string, advertise, "",
          "Host to put in TOIL_RT_LOGGING_ADDRESS; default: the --bind address, "
          "or this machine's first non-loopback address when binding every "
          "interface.");

namespace toil::cli {
namespace {

// The export lines a shell can eval: the address, the level, the secret,
// and where the control plane listens (with its token, for TCP).
void PrintExports(const rtlog::LogServer& server) {
  std::map<std::string, std::string> exports = server.JobEnvironment();
  if (!server.control_target().empty()) {
    exports[rtlog::kControlVariable] = server.control_target();
  }
  if (!server.control_token().empty()) {
    exports[rtlog::kControlTokenVariable] = server.control_token();
  }
  for (const auto& [name, value] : exports) {
    std::printf("export %s=%s\n", name.c_str(), batch::ShellQuote(value).c_str());
  }
  std::fflush(stdout);
}

// Lets `eval "$(toil-rtlog serve &)"` finish: nothing more goes to stdout
// (unless records were asked for there).
void DetachStdout() {
  if (absl::GetFlag(FLAGS_output) == "-") return;
  const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd >= 0) {
    dup2(null_fd, STDOUT_FILENO);
    close(null_fd);
  }
}

}  // namespace

// What stops the server: SIGINT, SIGTERM (taken by a thread of their own
// with sigtimedwait) or a Stop call on the control plane; and why.
class StopRequest {
 public:
  void Request(std::string why) {
    std::lock_guard<std::mutex> lock(mu_);
    if (why_.empty()) why_ = std::move(why);
    cv_.notify_all();
  }
  bool requested() {
    std::lock_guard<std::mutex> lock(mu_);
    return !why_.empty();
  }
  std::string Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !why_.empty(); });
    return why_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string why_;
};

// Takes `signals` (blocked in every thread) until a stop is requested.
void WatchSignals(const sigset_t& signals, StopRequest& stop) {
  const timespec tick{0, 200 * 1000 * 1000};
  while (!stop.requested()) {
    const int signal_number = sigtimedwait(&signals, nullptr, &tick);
    if (signal_number > 0) stop.Request(strsignal(signal_number));
  }
}

int RunServe(const std::vector<std::string>& args) {
  if (!args.empty()) {
    return UsageError("serve", absl::StrCat("unexpected argument \"", args[0], "\""));
  }
  absl::StatusOr<rtlog::Level> level = rtlog::ParseLevel(absl::GetFlag(FLAGS_level));
  if (!level.ok()) return UsageError("serve", std::string(level.status().message()));
  absl::StatusOr<std::unique_ptr<rtlog::LogSink>> sink =
      MakeOutputSink(absl::GetFlag(FLAGS_format), absl::GetFlag(FLAGS_output));
  if (!sink.ok()) return UsageError("serve", std::string(sink.status().message()));
  for (const absl::Status& range :
       {CheckRange("port", absl::GetFlag(FLAGS_port), 0, 65535, "0 picks a free port"),
        CheckRange("tail_keep", absl::GetFlag(FLAGS_tail_keep), 1, 10000000)}) {
    if (!range.ok()) return UsageError("serve", std::string(range.message()));
  }

  // SIGINT and SIGTERM are taken by WatchSignals; every thread inherits the
  // mask. A closed stdout or stderr must not kill the server.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  StopRequest stop;
  const std::string advertise = absl::GetFlag(FLAGS_advertise);
  absl::StatusOr<std::unique_ptr<rtlog::LogServer>> server = rtlog::LogServer::Start(
      {.level = *level,
       .bind_host = absl::GetFlag(FLAGS_bind),
       .port = absl::GetFlag(FLAGS_port),
       .advertise_host = advertise.empty() ? std::nullopt
                                           : std::optional<std::string>(advertise),
       .authenticate = absl::GetFlag(FLAGS_auth),
       .allow_unsigned = absl::GetFlag(FLAGS_allow_unsigned),
       .control = absl::GetFlag(FLAGS_control),
       .kind = "serve",
       .on_stop =
           [&stop] {
             stop.Request("a stop request (toil-rtlog stop)");
             return absl::OkStatus();
           },
       .kept_records = static_cast<size_t>(absl::GetFlag(FLAGS_tail_keep))},
      {sink->get()});
  if (!server.ok()) {
    std::fprintf(stderr, "toil-rtlog serve: error: %s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  PrintExports(**server);
  DetachStdout();

  std::thread signals([&] { WatchSignals(stop_signals, stop); });
  const std::string why = stop.Wait();
  signals.join();
  const rtlog::LogStats stats = (*server)->Stop();
  std::fprintf(stderr, "toil-rtlog serve: stopped by %s; %s\n", why.c_str(),
               rtlog::DescribeLogStats(stats).c_str());
  return 0;
}

}  // namespace toil::cli
