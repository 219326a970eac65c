// `toil-rtlog send`: records from a shell-script job, exactly as RT_LOG
// would send them (same environment, same level filter): the words given,
// or each line of stdin (as logger(1) does).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_join.h"
#include "toil/cli/command.h"
#include "toil/cli/output_flags.h"
#include "toil/rtlog/base/environment.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/log_line.h"
#include "toil/rtlog/overflow.h"

ABSL_FLAG(std::string, name, "toil-rt",
          "The logger name of the record, shown after the sender on the "
          "leader's terminal when it is not the default.");

namespace toil::cli {
namespace {

bool Unset(const char* variable) {
  const char* value = std::getenv(variable);
  return value == nullptr || value[0] == '\0';
}

// With no level in the environment RT_LOG would keep all but CRITICAL to
// itself; a record asked for by name goes to stderr instead (the job's
// "level but no address" case). A person at a terminal is told why; and an
// address without a level (real-time logging off, although a leader was
// meant) is always pointed out.
void WithoutALevelUseStderr(const std::string& level) {
  if (!Unset(rtlog::kLevelVariable)) return;
  if (!Unset(rtlog::kAddressVariable)) {
    std::fprintf(stderr,
                 "toil-rtlog send: %s is set but %s is not, so real-time logging is off "
                 "(for every job, as in Toil) and records go to stderr only; a leader "
                 "sets both\n",
                 rtlog::kAddressVariable, rtlog::kLevelVariable);
    unsetenv(rtlog::kAddressVariable);
    setenv(rtlog::kLevelVariable, level.c_str(), 1);
    return;
  }
  setenv(rtlog::kLevelVariable, level.c_str(), 1);
  if (isatty(STDERR_FILENO)) {
    std::fprintf(stderr,
                 "toil-rtlog send: no leader: %s and %s are not set, so records go "
                 "to stderr only (run under `toil-rtlog run`, or after "
                 "`eval \"$(toil-rtlog serve --detach)\"`)\n",
                 rtlog::kLevelVariable, rtlog::kAddressVariable);
  }
}

int RunSend(const std::vector<std::string>& args) {
  const std::string level_name = absl::GetFlag(FLAGS_level);
  absl::StatusOr<rtlog::Level> level = rtlog::ParseLevel(level_name);
  if (!level.ok()) return UsageError("send", std::string(level.status().message()));
  WithoutALevelUseStderr(std::string(rtlog::LevelName(*level)));
  const std::string name = absl::GetFlag(FLAGS_name);
  if (!args.empty()) {
    rtlog::LogLine(*level, absl::StrJoin(args, " "), name);
    return 0;
  }
  // A pipe waits for room rather than lose a line: reading stops while the
  // queue is full, and the writer upstream waits in turn.
  rtlog::SetOverflowWait(absl::InfiniteDuration());
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF text
    if (!line.empty()) rtlog::LogLine(*level, line, name);
  }
  return 0;
}

}  // namespace

const Command& SendCommand() {
  static const Command* const command =
      new Command{"send",
                  "send records, as RT_LOG would (for shell-script jobs)",
                  "toil-rtlog send [--level LEVEL] [--name NAME] [MESSAGE...]\n\n"
                  "Sends MESSAGE (the words joined by spaces) as one record or, with no\n"
                  "MESSAGE, each non-empty line of stdin as a record of its own (as\n"
                  "logger(1) does; it stops reading while its queue is full, and never\n"
                  "drops a line), honouring TOIL_RT_LOGGING_ADDRESS and\n"
                  "TOIL_RT_LOGGING_LEVEL exactly as RT_LOG does: below the level nothing is\n"
                  "sent. Also writes each record to stderr. With no level set (no leader),\n"
                  "records go to stderr only.",
                  {{"level", "The level of the record(s) sent.", ""}, {"name"}},
                  &RunSend};
  return *command;
}

}  // namespace toil::cli
