// Finding the file a command names; see command_path.h.
#include "toil/batch/command_path.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace toil::batch {

int FindCommand(const std::string& command, std::string* path) {
  if (command.empty()) return ENOENT;
  if (command.find('/') != std::string::npos) {
    if (access(command.c_str(), X_OK) != 0) return errno;
    *path = command;
    return 0;
  }
  const char* search = std::getenv("PATH");
  int error = ENOENT;
  for (absl::string_view dir :
       absl::StrSplit(search != nullptr ? search : "/bin:/usr/bin", ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", command);
    if (access(candidate.c_str(), X_OK) == 0) {
      *path = std::move(candidate);
      return 0;
    }
    if (errno == EACCES) error = EACCES;
  }
  return error;
}

int CommandRunnable(const std::string& command) {
  std::string found;
  return FindCommand(command, &found);
}

}  // namespace toil::batch
