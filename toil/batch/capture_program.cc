// Finding the capture program; see capture_program.h.
#include "toil/batch/capture_program.h"

#include <cstdlib>

#include "toil/batch/command_path.h"

namespace toil::batch {

std::string FindCaptureProgram(const std::string& chosen) {
  if (!chosen.empty()) return chosen;
  const char* named = std::getenv(kCaptureProgramVariable);
  if (named != nullptr && named[0] != '\0') return named;
  std::string found;
  return FindCommand("toil-rtlog", &found) == 0 ? found : "";
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
