// OutputListener: what a batch system that reads its jobs' output in the
// leader's own process (LocalBatchSystem) hands on, as it reads it: the
// bytes each job writes on stdout and stderr. The real-time logger makes
// records of their lines (toil/runner/captured_lines.h).
//
// Every call comes from the batch system's reading thread, one at a time.
#ifndef TOIL_BATCH_OUTPUT_LISTENER_H_
#define TOIL_BATCH_OUTPUT_LISTENER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace toil::batch {

// The job whose output it is.
struct OutputSource {
  uint64_t key = 0;     // unique for the batch system's life
  std::string job;      // its name (TOIL_JOB_NAME)
  int64_t pid = 0;      // the process the batch system started
  std::string program;  // that process's program, without its directory
};

enum class OutputStream { kStdout, kStderr };

class OutputListener {
 public:
  virtual ~OutputListener() = default;
  // What `source` wrote next on `stream`, read at `now`.
  virtual void Output(const OutputSource& source, OutputStream stream, absl::string_view bytes,
                      absl::Time now) = 0;
  // Whether it would take a full read now. Output it is handed anyway
  // (a pipe must be read, lest the job wait); a file that can wait is read
  // on when it says yes again.
  virtual bool HasRoom() { return true; }
  // `source`'s output ended (its pipes closed, or the batch system stopped
  // waiting for them): a last line without a newline goes out.
  virtual void Ended(const OutputSource& source) = 0;
  // Hands on what it held back whose time has come (a progress bar's
  // latest state); returns when it next needs to be called
  // (InfiniteFuture: not before more output).
  virtual absl::Time Tick(absl::Time now) = 0;
};

}  // namespace toil::batch

#endif  // TOIL_BATCH_OUTPUT_LISTENER_H_
