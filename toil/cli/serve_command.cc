// `toil-rtlog serve`: a standalone leader that shows the records jobs send.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "toil/batch/job_files.h"
#include "toil/batch/shell_quote.h"
#include "toil/cli/command.h"
#include "toil/cli/output_flags.h"
#include "toil/cli/report_flags.h"
#include "toil/cli/stop_signals.h"
#include "toil/rtlog/base/environment.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/base/secret_file.h"
#include "toil/rtlog/leader/log_server.h"
#include "toil/rtlog/sinks/history_sink.h"

ABSL_FLAG(std::string, bind, "127.0.0.1",
          "Numeric address to listen on: 127.0.0.1 (this machine only), "
          "0.0.0.0 or :: (every interface), ::1, or one interface's address.");
ABSL_FLAG(int, port, 0,
          "UDP port to listen on (and TCP, for stream connections); 0 picks a free one.");
ABSL_FLAG(std::string, secret_file, "",
          "Keep the run's secret in this file (mode 600): made there when the file does not "
          "exist, used when it does. A server started again with the same file and --port "
          "is the same run to its jobs: they reconnect and send again what it had not "
          "acknowledged.");
ABSL_FLAG(std::string, history_dir, "",
          "Keep every record in this directory (records.jsonl, rotated at 256 MiB, 8 "
          "files at most; made if missing, in a directory that exists), for `toil-rtlog "
          "logs`.");
ABSL_FLAG(int, tail_keep, 16384,
          "How many recent records the control plane keeps for `toil-rtlog tail "
          "--last` and for viewers that fall behind (at least 1).");
ABSL_FLAG(bool, detach, false,
          "Serve in the background: print the export lines once the server "
          "listens, then return, leaving it running until `toil-rtlog stop` "
          "(or a signal) stops it. Records still go to --output (default: "
          "this terminal's stderr).");
ABSL_FLAG(std::string, advertise, "",
          "Host to put in TOIL_RT_LOGGING_ADDRESS; default: the --bind address, "
          "or this machine's first non-loopback address when binding every "
          "interface.");

namespace toil::cli {
namespace {

// The export lines a shell can eval: the address, the level, the secret,
// and where the control plane listens (with its token, for TCP). False when
// they could not be written: nobody could find the server.
bool PrintExports(const rtlog::LogServer& server) {
  std::map<std::string, std::string> exports = server.JobEnvironment();
  if (!server.control_target().empty()) {
    exports[rtlog::kControlVariable] = server.control_target();
  }
  if (!server.control_token().empty()) {
    exports[rtlog::kControlTokenVariable] = server.control_token();
  }
  bool written = true;
  for (const auto& [name, value] : exports) {
    written &= std::printf("export %s=%s\n", name.c_str(), batch::ShellQuote(value).c_str()) > 0;
  }
  return std::fflush(stdout) == 0 && written && !std::ferror(stdout);
}

// Lets `eval "$(toil-rtlog serve ...)"` finish: nothing more goes to stdout
// (unless records were asked for there).
void DetachStdout() {
  if (absl::GetFlag(FLAGS_output) == "-") return;
  const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd >= 0) {
    dup2(null_fd, STDOUT_FILENO);
    close(null_fd);
  }
}

// Whether jobs can find this server without its export lines: only when
// they can be told its port and need no secret.
bool FindableWithoutExports() {
  return absl::GetFlag(FLAGS_port) != 0 && !absl::GetFlag(FLAGS_auth);
}

// Reads `fd` to its end.
std::string ReadAll(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) != 0) {
    if (n > 0) text.append(buffer, n);
    if (n < 0 && errno != EINTR) break;
  }
  return text;
}

// For --detach; call before any thread starts. Forks: the child starts a
// session of its own (no terminal's Ctrl-C or hang-up reaches it), with
// stdout a pipe to the parent, and returns nullopt to go on serving. The
// parent copies what the child prints there (its export lines) to its own
// stdout, says the child's pid on stderr, and returns the exit status to
// end with: 0, or the child's when it failed to start (it said why).
std::optional<int> Detach() {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "toil-rtlog serve: error: cannot detach: %s\n", std::strerror(errno));
    return 1;
  }
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    std::fprintf(stderr, "toil-rtlog serve: error: cannot detach: %s\n", std::strerror(errno));
    return 1;
  }
  if (pid == 0) {
    close(pipe_fds[0]);
    setsid();
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[1]);
    const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    if (null_fd >= 0) close(null_fd);
    return std::nullopt;
  }
  close(pipe_fds[1]);
  const std::string exports = ReadAll(pipe_fds[0]);
  close(pipe_fds[0]);
  if (exports.empty()) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1;
  }
  if ((std::fwrite(exports.data(), 1, exports.size(), stdout) != exports.size() ||
       std::fflush(stdout) != 0) &&
      !FindableWithoutExports()) {
    // Nobody could find a server whose address went nowhere: stop it.
    std::fprintf(stderr,
                 "toil-rtlog serve: error: cannot write the export lines to stdout "
                 "(%s); the server is stopped\n",
                 std::strerror(errno));
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    return 1;
  }
  std::fprintf(stderr,
               "toil-rtlog serve: serving in the background as pid %d; "
               "`toil-rtlog stop` stops it\n",
               static_cast<int>(pid));
  return 0;
}

int RunServe(const std::vector<std::string>& args) {
  if (!args.empty()) {
    return UsageError("serve", absl::StrCat("unexpected argument \"", args[0], "\""));
  }
  absl::StatusOr<rtlog::Level> level = rtlog::ParseLevel(absl::GetFlag(FLAGS_level));
  if (!level.ok()) return UsageError("serve", std::string(level.status().message()));
  absl::StatusOr<OutputSinks> sinks = MakeOutputSinks();
  if (!sinks.ok()) return UsageError("serve", std::string(sinks.status().message()));
  if (const std::string history = absl::GetFlag(FLAGS_history_dir); !history.empty()) {
    absl::StatusOr<std::string> dir = batch::MakeLogDir(history);
    absl::StatusOr<std::unique_ptr<rtlog::HistorySink>> sink =
        dir.ok() ? rtlog::HistorySink::Open(*dir)
                 : absl::StatusOr<std::unique_ptr<rtlog::HistorySink>>(dir.status());
    if (!sink.ok()) {
      return UsageError("serve",
                        absl::StrCat("--history_dir=", history, ": ", sink.status().message()));
    }
    sinks->owned.push_back(*std::move(sink));
  }
  absl::StatusOr<ReportRequest> report = ReportFlags(/*stdout_free=*/false);
  if (!report.ok()) return UsageError("serve", std::string(report.status().message()));
  for (const absl::Status& range :
       {CheckLeaderFlags(),
        CheckRange("port", absl::GetFlag(FLAGS_port), 0, 65535, "0 picks a free port"),
        CheckRange("tail_keep", absl::GetFlag(FLAGS_tail_keep), 1, 10000000)}) {
    if (!range.ok()) return UsageError("serve", std::string(range.message()));
  }

  const std::string secret_file = absl::GetFlag(FLAGS_secret_file);
  std::optional<std::string> kept_secret;
  if (!secret_file.empty()) {
    if (!absl::GetFlag(FLAGS_auth)) {
      return UsageError("serve", "--secret_file with --auth=false: there is no secret to keep");
    }
    absl::StatusOr<std::optional<std::string>> read = rtlog::ReadSecretFile(secret_file);
    if (!read.ok()) {
      return UsageError("serve", absl::StrCat("--secret_file=", read.status().message()));
    }
    kept_secret = *read;
  }

  if (absl::GetFlag(FLAGS_detach)) {
    if (absl::GetFlag(FLAGS_output) == "-") {
      return UsageError("serve",
                        "--detach with --output=-: a server in the background has "
                        "no stdout to show records on; give --output a file");
    }
    if (std::optional<int> parent_status = Detach()) return *parent_status;
  }
  // SIGINT, SIGTERM and SIGHUP stop the server cleanly; a closed stdout or
  // stderr must not kill it.
  StopSignals stop;
  signal(SIGPIPE, SIG_IGN);
  const std::string advertise = absl::GetFlag(FLAGS_advertise);
  absl::StatusOr<std::unique_ptr<rtlog::LogServer>> server = rtlog::LogServer::Start(
      {.level = *level,
       .listen = {.bind_host = absl::GetFlag(FLAGS_bind), .port = absl::GetFlag(FLAGS_port)},
       .advertise_host = advertise.empty() ? std::nullopt : std::optional<std::string>(advertise),
       .authenticate = absl::GetFlag(FLAGS_auth),
       .ingest = {.secret = kept_secret.value_or(""),
                  .allow_unsigned = absl::GetFlag(FLAGS_allow_unsigned)},
       .stream = absl::GetFlag(FLAGS_stream),
       .control = absl::GetFlag(FLAGS_control),
       .kind = "serve",
       .on_stop =
           [&stop] {
             stop.Request("a stop request (toil-rtlog stop)");
             return absl::OkStatus();
           },
       .kept_records = static_cast<size_t>(absl::GetFlag(FLAGS_tail_keep))},
      sinks->pointers());
  if (!server.ok()) {
    std::fprintf(stderr, "toil-rtlog serve: error: %s%s\n",
                 kept_secret ? absl::StrCat("the secret in ", secret_file, ": ").c_str() : "",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  if (!secret_file.empty() && !kept_secret) {
    absl::Status kept =
        rtlog::WriteSecretFile(secret_file, (*server)->JobEnvironment()[rtlog::kSecretVariable]);
    if (!kept.ok()) {
      std::fprintf(stderr, "toil-rtlog serve: error: --secret_file=%s\n",
                   std::string(kept.message()).c_str());
      return 1;
    }
  }
  if (!PrintExports(**server) && !FindableWithoutExports()) {
    std::fprintf(stderr,
                 "toil-rtlog serve: error: cannot write the export lines to stdout (%s); "
                 "without them no job could find this server, so it stops\n",
                 std::strerror(errno));
    (*server)->Stop();
    return 1;
  }
  DetachStdout();

  const std::string why = stop.Wait();
  const rtlog::LogStats stats = (*server)->Stop();
  const rtlog::JobLogs job_logs = (*server)->job_logs();
  // The terminal's last folds and counts come out before the report.
  server->reset();
  sinks->owned.clear();
  WriteReport(*report, rtlog::MakeRunReport("serve", {}, job_logs), "toil-rtlog serve: ");
  std::fprintf(stderr, "toil-rtlog serve: stopped by %s; %s\n", why.c_str(),
               rtlog::DescribeLogStats(stats).c_str());
  return 0;
}

}  // namespace

const Command& ServeCommand() {
  static const Command* const command = [] {
    auto* c = new Command{
        "serve",
        "run a standalone log server and show what jobs send",
        "toil-rtlog serve [--bind ADDR] [--port N] [--level LEVEL] [--format text|jsonl]\n"
        "                 [--output PATH] [--auth=false | --allow_unsigned] [--secret_file F]\n"
        "                 [--control off|HOST:PORT] [--time local|utc|iso] [--detach]\n"
        "                 [--history_dir DIR]\n\n"
        "Listens for real-time log records (UDP) and shows them. On start it prints\n"
        "  export TOIL_RT_LOGGING_ADDRESS=...\n"
        "  export TOIL_RT_LOGGING_LEVEL=...\n"
        "  export TOIL_RT_LOGGING_SECRET=... (with --auth, the default)\n"
        "  export TOIL_RT_LOGGING_STREAM=... (with --auth and --stream, the defaults)\n"
        "  export TOIL_RT_LOGGING_CONTROL=... (its control plane, for tail, status, ...)\n"
        "on stdout, so that\n"
        "  eval \"$(toil-rtlog serve --detach)\"\n"
        "prepares a shell for jobs and leaves the server running in the background.\n"
        "Stops on SIGINT, SIGTERM, SIGHUP or `toil-rtlog stop`, and prints a report\n"
        "(a row per job it heard from; --report) and a summary on stderr. With\n"
        "--history_dir it keeps every record there, for `toil-rtlog logs DIR`.",
        {{"advertise"},
         {"bind"},
         {"detach"},
         {"history_dir"},
         {"port"},
         {"secret_file"},
         {"tail_keep"}},
        &RunServe};
    for (FlagDoc& doc : LeaderFlagDocs()) c->flags.push_back(std::move(doc));
    return c;
  }();
  return *command;
}

}  // namespace toil::cli
