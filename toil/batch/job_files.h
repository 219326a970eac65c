// Where batch systems keep each job's files: a log directory (made if
// missing, or a fresh one under $TMPDIR) and per-job file names built from a
// job's name with anything odd replaced.
#ifndef TOIL_BATCH_JOB_FILES_H_
#define TOIL_BATCH_JOB_FILES_H_

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace toil::batch {

// `requested`, created if missing (its parent must exist), or a new
// directory under $TMPDIR (or /tmp) named toil-rtlog-jobs-XXXXXX. Fails
// naming the directory and why.
absl::StatusOr<std::string> MakeLogDir(const std::string& requested);

// A file name for a job: its name with every character other than letters,
// digits, '-', '_' and '.' replaced by '_' ("job" when empty).
std::string SafeFileName(absl::string_view name);

// The stems of the files of a batch system's jobs, unique within its log
// directory: a job's safe file name ("align-3"), or, when another job took
// it already (or `directory` already holds "<stem>.log", from an earlier
// run: it is never overwritten), that name with ".2", ".3", ... added. Not
// thread-safe.
class JobFileNames {
 public:
  explicit JobFileNames(std::string directory = "") : directory_(std::move(directory)) {}
  std::string Take(absl::string_view job_name);

 private:
  std::string directory_;
  std::set<std::string> taken_;
};

}  // namespace toil::batch

#endif  // TOIL_BATCH_JOB_FILES_H_
