// Finding the capture program; see capture_program.h.
#include "toil/batch/capture_program.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace toil::batch {

namespace {

// `name` searched in $PATH (as posix_spawnp does, /bin:/usr/bin when it is
// unset): 0 and the path in `*found`, or the errno that says why not.
int SearchPath(const std::string& name, std::string* found) {
  const char* path = std::getenv("PATH");
  int error = ENOENT;
  for (absl::string_view dir :
       absl::StrSplit(path != nullptr ? path : "/bin:/usr/bin", ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) {
      *found = std::move(candidate);
      return 0;
    }
    if (errno == EACCES) error = EACCES;
  }
  return error;
}

}  // namespace

std::string FindCaptureProgram(const std::string& chosen) {
  if (!chosen.empty()) return chosen;
  const char* named = std::getenv(kCaptureProgramVariable);
  if (named != nullptr && named[0] != '\0') return named;
  std::string found;
  return SearchPath("toil-rtlog", &found) == 0 ? found : "";
}

int CommandRunnable(const std::string& command) {
  if (command.empty()) return ENOENT;
  if (command.find('/') != std::string::npos) {
    return access(command.c_str(), X_OK) == 0 ? 0 : errno;
  }
  std::string found;
  return SearchPath(command, &found);
}

std::vector<std::string> CapturedCommandLine(const std::string& capture_program,
                                             const std::vector<std::string>& flags,
                                             const std::string& command,
                                             const std::vector<std::string>& args) {
  std::vector<std::string> line = {capture_program, "exec"};
  line.insert(line.end(), flags.begin(), flags.end());
  line.push_back("--");
  line.push_back(command);
  line.insert(line.end(), args.begin(), args.end());
  return line;
}

}  // namespace toil::batch
