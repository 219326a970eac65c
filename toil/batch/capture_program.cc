// Finding the capture program; see capture_program.h.
#include "toil/batch/capture_program.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace toil::batch {

std::string FindCaptureProgram(const std::string& chosen) {
  if (!chosen.empty()) return chosen;
  const char* named = std::getenv(kCaptureProgramVariable);
  if (named != nullptr && named[0] != '\0') return named;
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/toil-rtlog");
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

int CommandRunnable(const std::string& command) {
  if (command.empty()) return ENOENT;
  if (command.find('/') != std::string::npos) {
    return access(command.c_str(), X_OK) == 0 ? 0 : errno;
  }
  const char* path = std::getenv("PATH");
  int error = ENOENT;
  for (absl::string_view dir :
       absl::StrSplit(path != nullptr ? path : "/bin:/usr/bin", ':', absl::SkipEmpty())) {
    const std::string candidate = absl::StrCat(dir, "/", command);
    if (access(candidate.c_str(), X_OK) == 0) return 0;
    if (errno == EACCES) error = EACCES;
  }
  return error;
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
