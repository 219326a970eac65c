// toil-rtlog: the command-line tool. Dispatches to a subcommand (serve, run,
// send; tail, status, senders, level, stop for a running leader), parses
// that subcommand's flags, and answers --help for each.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/grpc.h"
#include "toil/cli/command.h"
#include "toil/cli/version.h"

namespace toil::cli {
namespace {

const Command kCommands[] = {
    {"serve", "run a standalone log server and show what jobs send",
     "toil-rtlog serve [--bind ADDR] [--port N] [--level LEVEL] "
     "[--format text|jsonl] [--output PATH] [--auth=false | --allow_unsigned]\n"
     "                 [--control off|HOST:PORT] [--time local|utc|iso] [--detach]\n\n"
     "Listens for real-time log records (UDP) and shows them. On start it "
     "prints\n  export TOIL_RT_LOGGING_ADDRESS=...\n  export "
     "TOIL_RT_LOGGING_LEVEL=...\n  export TOIL_RT_LOGGING_SECRET=... (with "
     "--auth, the default)\n  export TOIL_RT_LOGGING_CONTROL=... (its control "
     "plane, for tail, status, ...)\non stdout, so that\n  eval \"$(toil-rtlog "
     "serve --detach)\"\nprepares a shell for jobs and leaves the server "
     "running in the background.\nStops on SIGINT, SIGTERM, SIGHUP or "
     "`toil-rtlog stop`, and prints a report (a row per job it heard\nfrom; "
     "--report) and a summary on stderr.",
     "advertise allow_unsigned auth bind control detach format job_line_limit jsonl_file level output "
     "port repeat_window report report_file tail_keep time",
     &RunServe},
    {"run", "run a command as N jobs and show their real-time records",
     "toil-rtlog run [--level LEVEL] [--jobs N] [--max_parallel M] "
     "[--format text|jsonl] [--output PATH] [--log_dir DIR]\n"
     "               [--batch_system local|slurm] [--partition P] "
     "[--slurm_args ARGS]\n"
     "               [--auth=false | --allow_unsigned] [--control off|HOST:PORT] "
     "[--time local|utc|iso]\n               -- COMMAND [ARGS...]\n\n"
     "Runs COMMAND as N jobs on a batch system (local child processes, or\n"
     "Slurm), with real-time logging bound to the run. Exits 0 when every\n"
     "job succeeds, else with the exit status of the first job that failed;\n"
     "stopped by SIGINT, SIGTERM or SIGHUP, it cancels the jobs, reports each,\n"
     "and exits 128 + the signal. At the end a report has a row per job (host,\n"
     "how it ended, records by level, lost, wall time) and what each failed job\n"
     "said last (--report=json for scripts).",
     "allow_unsigned auth batch_system control format job_line_limit jobs jsonl_file level "
     "log_dir max_parallel output partition repeat_window report report_file slurm_args time",
     &RunRun},
    {"send", "send records, as RT_LOG would (for shell-script jobs)",
     "toil-rtlog send [--level LEVEL] [--name NAME] [MESSAGE...]\n\n"
     "Sends MESSAGE (the words joined by spaces) as one record or, with no\n"
     "MESSAGE, each non-empty line of stdin as a record of its own (as\n"
     "logger(1) does), honouring TOIL_RT_LOGGING_ADDRESS and\n"
     "TOIL_RT_LOGGING_LEVEL exactly as RT_LOG does: below the level nothing is\n"
     "sent. Also writes each record to stderr. With neither variable set (no\n"
     "leader), records go to stderr only.",
     "level name", &RunSend},
    {"tail", "show a running leader's records, from another terminal",
     "toil-rtlog tail [--follow] [--last N] [--level LEVEL] [--job GLOB] "
     "[--host HOST]\n                [--grep RE] [--format text|jsonl] "
     "[--control ADDR] [--token T]\n\n"
     "Prints the leader's last records (10 by default), and with --follow "
     "the new\nones as they arrive, as the leader's own sinks show them. "
     "Finds the leader\nthrough --control or TOIL_RT_LOGGING_CONTROL.",
     "control follow format grep host job last level time token", &RunTail},
    {"status", "show a running leader's counts and settings",
     "toil-rtlog status [--json] [--control ADDR] [--token T]",
     "control json token", &RunStatus},
    {"senders", "show which jobs are sending to a running leader",
     "toil-rtlog senders [--json] [--control ADDR] [--token T]",
     "control json token", &RunSenders},
    {"level", "change the level a running leader hands to new jobs",
     "toil-rtlog level LEVEL [--control ADDR] [--token T]\n\n"
     "Jobs that start from now on get TOIL_RT_LOGGING_LEVEL=LEVEL (on Slurm:\n"
     "jobs submitted from now on; `run` submits all of its jobs at once); jobs\n"
     "already running keep theirs.",
     "control token", &RunLevel},
    {"stop", "stop a running standalone server (toil-rtlog serve)",
     "toil-rtlog stop [--control ADDR] [--token T]",
     "control token", &RunStop},
};

// The flags given on the command line.
std::set<std::string>& GivenFlags() {
  static std::set<std::string>* const given = new std::set<std::string>();
  return *given;
}

// Whether `command` takes the flag named `name`.
bool FlagBelongs(const Command& command, absl::string_view name) {
  for (absl::string_view flag : absl::StrSplit(command.flags, ' ')) {
    if (flag == name) return true;
  }
  return false;
}

void PrintOverview(FILE* out) {
  std::fprintf(out,
               "toil-rtlog: real-time logging for workflow jobs.\n\n"
               "usage: toil-rtlog COMMAND [flags] [args]\n\ncommands:\n");
  for (const Command& command : kCommands) {
    std::fprintf(out, "  %-8s %s\n", command.name, command.summary);
  }
  std::fprintf(out, "\n`toil-rtlog COMMAND --help` describes a command; "
                    "`toil-rtlog --version` says which this is.\n");
}

void PrintCommandHelp(const Command& command) {
  std::printf("usage: %s\n\nflags:\n", command.usage);
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (FlagBelongs(command, flag->Name())) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(), [](const auto* a, const auto* b) {
    return a->Name() < b->Name();
  });
  for (const absl::CommandLineFlag* flag : flags) {
    std::printf("  --%s (default: \"%s\")\n      %s\n",
                std::string(flag->Name()).c_str(), flag->DefaultValue().c_str(),
                flag->Help().c_str());
  }
}

// Sets one flag from the command line ("--name=value", "--name value",
// "--bool", "--nobool"); `*i` moves past what was used. An error names the
// flag, the value and what went wrong.
absl::Status SetFlag(const Command& command, const std::vector<std::string>& args,
                     size_t* i) {
  absl::string_view arg = args[*i];
  if (!absl::ConsumePrefix(&arg, "--")) absl::ConsumePrefix(&arg, "-");
  const size_t equals = arg.find('=');
  const bool has_value = equals != absl::string_view::npos;
  absl::string_view name = arg.substr(0, equals);
  std::string value(has_value ? arg.substr(equals + 1) : "");
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  if (flag == nullptr && !has_value && absl::ConsumePrefix(&name, "no")) {
    flag = absl::FindCommandLineFlag(name);  // --noflag for booleans
    if (flag != nullptr && !flag->IsOfType<bool>()) flag = nullptr;
    value = "false";
  }
  if (flag == nullptr || !FlagBelongs(command, flag->Name())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, flag == nullptr ? " is not a flag" : " is not a flag of ",
        flag == nullptr ? "" : command.name));
  }
  if (!has_value && value.empty()) {
    if (flag->IsOfType<bool>()) {
      value = "true";
    } else if (*i + 1 < args.size()) {
      value = args[++*i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
    }
  }
  std::string error;
  if (!flag->ParseFrom(value, &error)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, "=", value, ": ", error));
  }
  GivenFlags().insert(std::string(flag->Name()));
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    PrintOverview(stderr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintOverview(stdout);
    return 0;
  }
  if (name == "--version" || name == "version") {
    std::printf("%s\n", kVersion);
    return 0;
  }
  const Command* command = nullptr;
  for (const Command& c : kCommands) {
    if (name == c.name) command = &c;
  }
  if (command == nullptr) {
    std::fprintf(stderr, "toil-rtlog: error: unknown command \"%s\"\n\n", name.c_str());
    PrintOverview(stderr);
    return 2;
  }
  const std::vector<std::string> args(argv + 2, argv + argc);
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg == "--help" || arg == "-h" || arg == "-help") {
      PrintCommandHelp(*command);
      return 0;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    if (absl::Status set = SetFlag(*command, args, &i); !set.ok()) {
      return UsageError(command->name, std::string(set.message()));
    }
  }
  return command->run(positional);
}

}  // namespace

bool FlagGiven(absl::string_view name) { return GivenFlags().count(std::string(name)) > 0; }

namespace {

// After the last channel or server is gone, gRPC may finish shutting down
// on a thread of its own, joining its other threads. The process waits for
// that (briefly) rather than exit under it, leaving those threads unjoined.
void AwaitGrpcShutdown() {
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (grpc_is_initialized() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
}

}  // namespace
}  // namespace toil::cli

int main(int argc, char** argv) {
  const int code = toil::cli::Main(argc, argv);
  toil::cli::AwaitGrpcShutdown();
  return code;
}
