// toil-rtlog: the command-line tool. Dispatches to a subcommand (serve, run,
// send), parses that subcommand's flags, and answers --help for each.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "toil/cli/command.h"

namespace toil::cli {
namespace {

const Command kCommands[] = {
    {"serve", "run a standalone log server and show what jobs send",
     "toil-rtlog serve [--bind ADDR] [--port N] [--level LEVEL] "
     "[--format text|jsonl] [--output PATH] [--auth=false | --allow_unsigned]\n\n"
     "Listens for real-time log records (UDP) and shows them. On start it "
     "prints\n  export TOIL_RT_LOGGING_ADDRESS=...\n  export "
     "TOIL_RT_LOGGING_LEVEL=...\n  export TOIL_RT_LOGGING_SECRET=... (with "
     "--auth, the default)\non stdout, so that\n  eval \"$(toil-rtlog "
     "serve &)\"\nprepares a shell for jobs. Stops on SIGINT or SIGTERM and "
     "prints a summary on stderr.",
     "serve_command.cc", &RunServe},
    {"run", "run a command as N jobs and show their real-time records",
     "toil-rtlog run [--level LEVEL] [--jobs N] [--max_parallel M] "
     "[--format text|jsonl] [--output PATH] [--log_dir DIR]\n"
     "               [--batch_system local|slurm] [--partition P] "
     "[--slurm_args ARGS]\n"
     "               [--auth=false | --allow_unsigned] -- COMMAND [ARGS...]\n\n"
     "Runs COMMAND as N jobs on a batch system (local child processes, or\n"
     "Slurm), with real-time logging bound to the run. Exits 0 when every\n"
     "job succeeds, else with the exit status of the first job that failed.",
     "run_command.cc", &RunRun},
    {"send", "send one record, as RT_LOG would (for shell-script jobs)",
     "toil-rtlog send [--level LEVEL] [--name NAME] MESSAGE...\n\n"
     "Sends MESSAGE (the words joined by spaces) as one record, honouring\n"
     "TOIL_RT_LOGGING_ADDRESS and TOIL_RT_LOGGING_LEVEL exactly as RT_LOG "
     "does:\nbelow the level nothing is sent. Also writes the record to "
     "stderr.",
     "send_command.cc", &RunSend},
};

constexpr char kSharedFlagsFile[] = "output_flags.cc";

// Which flags a command takes: those defined in its file, and the shared
// ones it uses.
bool FlagBelongs(const Command& command, const absl::CommandLineFlag& flag) {
  const std::string file = flag.Filename();
  if (absl::EndsWith(file, command.flags_file)) return true;
  if (!absl::EndsWith(file, kSharedFlagsFile)) return false;
  // send shows nothing, so it takes --level only.
  return std::strcmp(command.name, "send") != 0 || flag.Name() == "level";
}

void PrintOverview(FILE* out) {
  std::fprintf(out,
               "toil-rtlog: real-time logging for workflow jobs.\n\n"
               "usage: toil-rtlog COMMAND [flags] [args]\n\ncommands:\n");
  for (const Command& command : kCommands) {
    std::fprintf(out, "  %-6s %s\n", command.name, command.summary);
  }
  std::fprintf(out, "\n`toil-rtlog COMMAND --help` describes a command.\n");
}

void PrintCommandHelp(const Command& command) {
  std::printf("usage: %s\n\nflags:\n", command.usage);
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (FlagBelongs(command, *flag)) flags.push_back(flag);
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
  const Command* command = nullptr;
  for (const Command& c : kCommands) {
    if (name == c.name) command = &c;
  }
  if (command == nullptr) {
    std::fprintf(stderr, "toil-rtlog: error: unknown command \"%s\"\n\n",
                 name.c_str());
    PrintOverview(stderr);
    return 2;
  }
  // Flags and arguments after the command; --help before any "--".
  std::vector<char*> rest = {argv[0]};
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      rest.insert(rest.end(), argv + i, argv + argc);
      break;
    }
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0 ||
        std::strcmp(argv[i], "-help") == 0) {
      PrintCommandHelp(*command);
      return 0;
    }
    rest.push_back(argv[i]);
  }
  // Every flag is defined once for the whole tool, so refuse those that
  // belong to another command before absl parses them.
  const auto all_flags = absl::GetAllFlags();
  for (size_t i = 1; i < rest.size() && std::strcmp(rest[i], "--") != 0; ++i) {
    absl::string_view arg = rest[i];
    if (!absl::ConsumePrefix(&arg, "--")) absl::ConsumePrefix(&arg, "-");
    if (arg.size() == absl::string_view(rest[i]).size()) continue;  // not a flag
    arg = arg.substr(0, arg.find('='));
    auto found = all_flags.find(arg);
    if (found == all_flags.end() && absl::ConsumePrefix(&arg, "no")) {
      found = all_flags.find(arg);  // --noflag for booleans
    }
    if (found != all_flags.end() && !FlagBelongs(*command, *found->second)) {
      return UsageError(command->name, absl::StrCat("--", arg,
                                                    " is not a flag of ",
                                                    command->name));
    }
  }
  absl::SetProgramUsageMessage(absl::StrCat("usage: ", command->usage));
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(rest.size()), rest.data());
  return command->run(
      std::vector<std::string>(positional.begin() + 1, positional.end()));
}

}  // namespace
}  // namespace toil::cli

int main(int argc, char** argv) { return toil::cli::Main(argc, argv); }
