// The subcommands of the toil-rtlog tool and what they share: each
// subcommand is a function over its positional arguments, with its flags
// defined in its own file (so `--help` can list just those).
#ifndef TOIL_CLI_COMMAND_H_
#define TOIL_CLI_COMMAND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "toil/rtlog/log_sink.h"
#include "toil/rtlog/terminal_sink.h"

namespace toil::cli {

struct Command {
  const char* name;
  const char* summary;  // one line, for the overview
  const char* usage;    // synopsis and description, for --help
  const char* flags;    // the names of the flags it takes, space-separated
  int (*run)(const std::vector<std::string>& args);
};

int RunServe(const std::vector<std::string>& args);
int RunRun(const std::vector<std::string>& args);
int RunSend(const std::vector<std::string>& args);
int RunTail(const std::vector<std::string>& args);
int RunStatus(const std::vector<std::string>& args);
int RunSenders(const std::vector<std::string>& args);
int RunLevel(const std::vector<std::string>& args);
int RunStop(const std::vector<std::string>& args);

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

// The TimeStyle --time names, or an error naming the flag and its choices.
absl::StatusOr<rtlog::TimeStyle> TimeStyleFlag();

// Whether the flag named `name` was given on the command line (for flags
// whose default suits one command but not another).
bool FlagGiven(absl::string_view name);

// An error unless low <= value <= high: "--NAME=VALUE is out of range: it
// must be LOW to HIGH" (and `why`, when given).
absl::Status CheckRange(absl::string_view flag, int64_t value, int64_t low,
                        int64_t high, absl::string_view why = "");

// Prints "toil-rtlog <command>: error: <message>" on stderr; returns 2.
int UsageError(const char* command, const std::string& message);

}  // namespace toil::cli

#endif  // TOIL_CLI_COMMAND_H_
