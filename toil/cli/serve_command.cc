// `toil-rtlog serve`: a standalone leader that shows the records jobs send.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "toil/cli/command.h"
#include "toil/cli/output_flags.h"
#include "toil/rtlog/internal/client_config.h"
#include "toil/rtlog/internal/datagram_auth.h"
#include "toil/rtlog/internal/dispatcher.h"
#include "toil/rtlog/internal/udp_server.h"
#include "toil/rtlog/level.h"

ABSL_FLAG(std::string, bind, "127.0.0.1",
          "Numeric address to listen on: 127.0.0.1 (this machine only), "
          "0.0.0.0 or :: (every interface), ::1, or one interface's address.");
ABSL_FLAG(int, port, 0, "UDP port to listen on; 0 picks a free one.");
ABSL_FLAG(std::string, advertise, "",
          "Host to put in TOIL_RT_LOGGING_ADDRESS; default: the --bind address "
          "(or the host name when binding every interface).");

namespace toil::cli {
namespace {

// Single quotes for the shell, so `eval` takes the value as it is.
std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
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

  rtlog::internal::Dispatcher dispatcher({sink->get()});
  rtlog::internal::UdpServerOptions options;
  options.bind_host = absl::GetFlag(FLAGS_bind);
  options.port = absl::GetFlag(FLAGS_port);
  if (absl::GetFlag(FLAGS_auth)) {
    absl::StatusOr<std::string> secret = rtlog::internal::DatagramAuth::NewSecret();
    if (!secret.ok()) {
      std::fprintf(stderr, "toil-rtlog serve: error: %s\n",
                   std::string(secret.status().message()).c_str());
      return 1;
    }
    options.secret = *std::move(secret);
    options.allow_unsigned = absl::GetFlag(FLAGS_allow_unsigned);
  }
  absl::StatusOr<std::unique_ptr<rtlog::internal::UdpServer>> server =
      rtlog::internal::UdpServer::Start(options, &dispatcher);
  if (!server.ok()) {
    std::fprintf(stderr, "toil-rtlog serve: error: %s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  std::string host = absl::GetFlag(FLAGS_advertise);
  if (host.empty()) {
    host = options.bind_host;
    if (host == "0.0.0.0" || host == "::") {
      char name[256] = {};
      gethostname(name, sizeof(name) - 1);
      host = name;
    }
  }
  const std::string address =
      rtlog::internal::HostPort{host, (*server)->local_address().port()}.ToString();
  std::printf("export %s=%s\nexport %s=%s\n", rtlog::kAddressVariable,
              ShellQuote(address).c_str(), rtlog::kLevelVariable,
              std::string(rtlog::LevelName(*level)).c_str());
  if (!options.secret.empty()) {
    std::printf("export %s=%s\n", rtlog::kSecretVariable, options.secret.c_str());
  }
  std::fflush(stdout);
  // Let `eval "$(toil-rtlog serve &)"` finish: nothing more goes to stdout
  // unless records were asked for there.
  if (absl::GetFlag(FLAGS_output) != "-") {
    const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_fd >= 0) {
      dup2(null_fd, STDOUT_FILENO);
      close(null_fd);
    }
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  (*server)->Stop();
  dispatcher.Flush();
  const rtlog::internal::ServerStats stats = (*server)->stats();
  std::string summary = absl::StrCat(
      "toil-rtlog serve: stopped by ", strsignal(signal_number), "; ",
      stats.records, " records received, ", stats.malformed, " malformed, ",
      stats.dropped, " dropped by the kernel, ", stats.lost,
      " lost in transit, ", stats.duplicates, " duplicates dropped");
  if (!options.secret.empty()) {
    absl::StrAppend(&summary, "; refused: ", stats.unsigned_refused,
                    " unsigned, ", stats.forged, " with a bad signature, ",
                    stats.other_run, " from another run; ",
                    stats.unsigned_accepted, " unsigned accepted");
  }
  summary.push_back('\n');
  (void)!write(STDERR_FILENO, summary.data(), summary.size());
  return 0;
}

}  // namespace toil::cli
