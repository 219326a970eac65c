// The tool's commands, in the order its overview lists them. A new command
// is a file of its own that defines its Command (command.h), plus a line
// here.
#include "toil/cli/command.h"

namespace toil::cli {

const std::vector<const Command*>& Commands() {
  static const std::vector<const Command*>* const commands = new std::vector<const Command*>{
      &ServeCommand(), &RunCommand(),    &SendCommand(),    &ExecCommand(),  &TailCommand(),
      &LogsCommand(),  &StatusCommand(), &SendersCommand(), &LevelCommand(), &StopCommand(),
  };
  return *commands;
}

}  // namespace toil::cli
