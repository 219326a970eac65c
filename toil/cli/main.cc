// toil-rtlog: the command-line tool. Dispatches to a subcommand (commands.cc
// lists them; each is defined in a file of its own), parses that
// subcommand's flags, and answers --help for each from its Command.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/grpc.h"
#include "toil/cli/command.h"
#include "toil/cli/version.h"

namespace toil::cli {
namespace {

// The flags given on the command line.
std::set<std::string>& GivenFlags() {
  static std::set<std::string>* const given = new std::set<std::string>();
  return *given;
}

// How `command` documents the flag named `name`; null when it takes none.
const FlagDoc* FlagOf(const Command& command, absl::string_view name) {
  for (const FlagDoc& flag : command.flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

void PrintOverview(FILE* out) {
  std::fprintf(out,
               "toil-rtlog: real-time logging for workflow jobs.\n\n"
               "usage: toil-rtlog COMMAND [flags] [args]\n\ncommands:\n");
  for (const Command* command : Commands()) {
    std::fprintf(out, "  %-8s %s\n", command->name.c_str(), command->summary.c_str());
  }
  std::fprintf(out,
               "\n`toil-rtlog COMMAND --help` describes a command; "
               "`toil-rtlog --version` says which this is.\n");
}

// The usage text, then each flag the command takes, with its default and
// what it means to this command.
void PrintCommandHelp(const Command& command) {
  std::printf("usage: %s\n\nflags:\n", command.usage.c_str());
  std::vector<const FlagDoc*> flags;
  for (const FlagDoc& flag : command.flags) flags.push_back(&flag);
  std::sort(flags.begin(), flags.end(),
            [](const FlagDoc* a, const FlagDoc* b) { return a->name < b->name; });
  for (const FlagDoc* doc : flags) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(doc->name);
    if (flag == nullptr) continue;  // a FlagDoc names a flag that does not exist
    const std::string default_shown = !doc->default_shown.empty()
                                          ? doc->default_shown
                                          : absl::StrCat("\"", flag->DefaultValue(), "\"");
    std::printf("  --%s (default: %s)\n      %s\n", doc->name.c_str(), default_shown.c_str(),
                (doc->help.empty() ? flag->Help() : doc->help).c_str());
  }
}

// Sets one flag from the command line ("--name=value", "--name value",
// "--bool", "--nobool"); `*i` moves past what was used. An error names the
// flag, the value and what went wrong.
absl::Status SetFlag(const Command& command, const std::vector<std::string>& args, size_t* i) {
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
  if (flag == nullptr || FlagOf(command, flag->Name()) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, flag == nullptr ? " is not a flag" : " is not a flag of ",
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
  for (const Command* c : Commands()) {
    if (name == c->name) command = c;
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
      if (command->program_follows) {
        positional.insert(positional.end(), args.begin() + i, args.end());
        break;
      }
      positional.push_back(arg);
      continue;
    }
    if (absl::Status set = SetFlag(*command, args, &i); !set.ok()) {
      return UsageError(command->name.c_str(), std::string(set.message()));
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
