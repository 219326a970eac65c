// `toil-rtlog serve`: a standalone leader that shows the records jobs send.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "toil/batch/shell_quote.h"
#include "toil/cli/command.h"
#include "toil/cli/output_flags.h"
#include "toil/rtlog/level.h"
#include "toil/rtlog/log_server.h"

ABSL_FLAG(std::string, bind, "127.0.0.1",
          "Numeric address to listen on: 127.0.0.1 (this machine only), "
          "0.0.0.0 or :: (every interface), ::1, or one interface's address.");
ABSL_FLAG(int, port, 0, "UDP port to listen on; 0 picks a free one.");
ABSL_FLAG(std::string, advertise, "",
          "Host to put in TOIL_RT_LOGGING_ADDRESS; default: the --bind address, "
          "or this machine's first non-loopback address when binding every "
          "interface.");

namespace toil::cli {
namespace {

// The export lines a shell can eval: the address, the level, the secret.
void PrintExports(const rtlog::LogServer& server) {
  for (const auto& [name, value] : server.JobEnvironment()) {
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

int RunServe(const std::vector<std::string>& args) {
  if (!args.empty()) {
    return UsageError("serve", absl::StrCat("unexpected argument \"", args[0], "\""));
  }
  absl::StatusOr<rtlog::Level> level = rtlog::ParseLevel(absl::GetFlag(FLAGS_level));
  if (!level.ok()) return UsageError("serve", std::string(level.status().message()));
  absl::StatusOr<std::unique_ptr<rtlog::LogSink>> sink =
      MakeOutputSink(absl::GetFlag(FLAGS_format), absl::GetFlag(FLAGS_output));
  if (!sink.ok()) return UsageError("serve", std::string(sink.status().message()));

  // SIGINT and SIGTERM are taken by sigwait below; every thread inherits the
  // mask. A closed stdout or stderr must not kill the server.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const std::string advertise = absl::GetFlag(FLAGS_advertise);
  absl::StatusOr<std::unique_ptr<rtlog::LogServer>> server = rtlog::LogServer::Start(
      {.level = *level,
       .bind_host = absl::GetFlag(FLAGS_bind),
       .port = absl::GetFlag(FLAGS_port),
       .advertise_host = advertise.empty() ? std::nullopt
                                           : std::optional<std::string>(advertise),
       .authenticate = absl::GetFlag(FLAGS_auth),
       .allow_unsigned = absl::GetFlag(FLAGS_allow_unsigned)},
      {sink->get()});
  if (!server.ok()) {
    std::fprintf(stderr, "toil-rtlog serve: error: %s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  PrintExports(**server);
  DetachStdout();

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  const rtlog::LogStats stats = (*server)->Stop();
  std::fprintf(stderr, "toil-rtlog serve: stopped by %s; %s\n",
               strsignal(signal_number), rtlog::DescribeLogStats(stats).c_str());
  return 0;
}

}  // namespace toil::cli
