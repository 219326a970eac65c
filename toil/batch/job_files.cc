// Job log directories and file names; see job_files.h.
#include "toil/batch/job_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace toil::batch {

absl::StatusOr<std::string> MakeLogDir(const std::string& requested) {
  if (requested.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = absl::StrCat(tmp && *tmp ? tmp : "/tmp", "/toil-rtlog-jobs-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot create a directory for the jobs' logs (", pattern, "): ", std::strerror(errno)));
    }
    return pattern;
  }
  if (mkdir(requested.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the log directory ", requested, ": ", std::strerror(errno)));
  }
  struct stat info;
  if (stat(requested.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the log directory ", requested, " is not a directory"));
  }
  return requested;
}

std::string SafeFileName(absl::string_view name) {
  std::string safe = name.empty() ? "job" : std::string(name);
  for (char& c : safe) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      c = '_';
    }
  }
  return safe;
}

std::string JobFileNames::Take(absl::string_view job_name) {
  const std::string safe = SafeFileName(job_name);
  std::string stem = safe;
  const auto free = [&](const std::string& candidate) {
    // A file of that name left in the directory (an earlier run's) is kept.
    return (directory_.empty() ||
            access(absl::StrCat(directory_, "/", candidate, ".log").c_str(), F_OK) != 0) &&
           taken_.insert(candidate).second;
  };
  for (int n = 2; !free(stem); ++n) stem = absl::StrCat(safe, ".", n);
  return stem;
}

}  // namespace toil::batch
