// A leader program for the fault tests, run as a real child process: it keeps
// the default SIGPIPE disposition (as a user's own leader would), starts
// real-time logging with the default terminal sink on stderr, and runs one
// job that logs.
//
//   test_leader JOB_PROGRAM ARGS...
//
// Exits 0 when the job succeeded, 1 otherwise.
#include <cstdio>
#include <string>
#include <vector>

#include "toil/batch/local_batch_system.h"
#include "toil/runner/realtime_logger.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: test_leader JOB_PROGRAM ARGS...\n");
    return 2;
  }
  toil::batch::LocalBatchSystem batch_system;
  int exit_code = 1;
  {
    toil::rtlog::RealtimeLogger logger(batch_system, {.level = "INFO"});
    if (!logger.started()) return 1;
    const std::vector<std::string> args(argv + 2, argv + argc);
    if (!batch_system.IssueJob({"job", argv[1], args}).ok()) return 1;
    std::optional<toil::batch::FinishedJob> done =
        batch_system.WaitForFinishedJob(absl::Minutes(10));
    if (done.has_value()) exit_code = done->exit_code == 0 ? 0 : 1;
  }
  return exit_code;
}
