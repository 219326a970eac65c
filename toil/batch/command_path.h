// Finding the file a command names, as posix_spawnp finds it: the command
// itself when it holds a '/', else the first executable of that name in
// $PATH (/bin:/usr/bin when PATH is unset).
#ifndef TOIL_BATCH_COMMAND_PATH_H_
#define TOIL_BATCH_COMMAND_PATH_H_

#include <string>

namespace toil::batch {

// 0 and the file to execute in `*path`; or the errno that says why there is
// none (ENOENT, EACCES).
int FindCommand(const std::string& command, std::string* path);

// 0 when `command` can be run (FindCommand finds it); else the errno.
int CommandRunnable(const std::string& command);

}  // namespace toil::batch

#endif  // TOIL_BATCH_COMMAND_PATH_H_
