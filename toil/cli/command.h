// The subcommands of the toil-rtlog tool and what they share. Each
// subcommand's file owns it whole: its Command (usage text, the flags it
// takes and what each means for it, its run function over the positional
// arguments) and the flags only it takes. main.cc only dispatches.
#ifndef TOIL_CLI_COMMAND_H_
#define TOIL_CLI_COMMAND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "toil/rtlog/sinks/log_sink.h"
#include "toil/rtlog/sinks/terminal_sink.h"

namespace toil::cli {

// A flag as one command documents it. `help` and `default_shown` override
// the flag's own help and default where this command differs ("" keeps
// them): a flag several commands share means something different to each.
struct FlagDoc {
  std::string name;
  std::string help;
  std::string default_shown;
};

struct Command {
  std::string name;
  std::string summary;  // one line, for the overview
  std::string usage;    // synopsis and description, for --help
  std::vector<FlagDoc> flags;
  int (*run)(const std::vector<std::string>& args);
  // The first positional argument starts a program's command line: it and
  // everything after it are the program's, flags included.
  bool program_follows = false;
};

// Every command, in the order of the overview (commands.cc).
const std::vector<const Command*>& Commands();

// Each command's own (in its file).
const Command& ServeCommand();
const Command& RunCommand();
const Command& SendCommand();
const Command& ExecCommand();
const Command& TailCommand();
const Command& LogsCommand();
const Command& StatusCommand();
const Command& SendersCommand();
const Command& LevelCommand();
const Command& StopCommand();

// The sinks the flags choose: one by --format (text or jsonl), --output (a
// path, "-" for stdout, empty for stderr), and for text --time,
// --repeat_window and --job_line_limit; and a JSON lines file with
// --jsonl_file.
struct OutputSinks {
  std::vector<std::unique_ptr<rtlog::LogSink>> owned;
  std::vector<rtlog::LogSink*> pointers() const;
};
absl::StatusOr<OutputSinks> MakeOutputSinks();

// The flags a leader (serve, run) takes beyond its sinks, checked before
// anything starts: --control is "", "off" or a numeric HOST:PORT, and
// --allow_unsigned is not given with --auth=false (where it would mean
// nothing).
absl::Status CheckLeaderFlags();

// What the flags that several commands share mean to a leader (serve,
// run): its sinks, its signatures, its control plane, its report; and to a
// client of a leader's control plane (tail, status, ...).
std::vector<FlagDoc> LeaderFlagDocs();
std::vector<FlagDoc> ClientFlagDocs();

// The TimeStyle --time names, or an error naming the flag and its choices.
absl::StatusOr<rtlog::TimeStyle> TimeStyleFlag();

// Whether the flag named `name` was given on the command line (for flags
// whose default suits one command but not another).
bool FlagGiven(absl::string_view name);

// An error unless low <= value <= high: "--NAME=VALUE is out of range: it
// must be LOW to HIGH" (and `why`, when given).
absl::Status CheckRange(absl::string_view flag, int64_t value, int64_t low, int64_t high,
                        absl::string_view why = "");

// Prints "toil-rtlog <command>: error: <message>" on stderr; returns 2.
int UsageError(const char* command, const std::string& message);

}  // namespace toil::cli

#endif  // TOIL_CLI_COMMAND_H_
