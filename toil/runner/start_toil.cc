// Running a workflow with real-time logging; see start_toil.h.
#include "toil/runner/start_toil.h"

namespace toil::runner {

absl::StatusOr<WorkflowResult> StartToil(
    const ToilOptions& options, batch::BatchSystem& batch_system,
    const std::vector<batch::JobSpec>& jobs) {
  WorkflowResult result;
  {
    rtlog::RealtimeLogger logger(batch_system, options.realtime_logging);
    if (options.on_logging_started) options.on_logging_started(logger);
    for (const batch::JobSpec& job : jobs) {
      if (options.cancelled && options.cancelled()) break;
      absl::StatusOr<batch::JobId> id = batch_system.IssueJob(job);
      if (!id.ok()) return id.status();
    }
    while (batch_system.UnfinishedJobs() > 0) {
      if (!result.cancelled && options.cancelled && options.cancelled()) {
        result.cancelled = true;
        batch_system.Shutdown();  // what it ends is reported below
      }
      std::optional<batch::FinishedJob> done =
          batch_system.WaitForFinishedJob(absl::Milliseconds(200));
      if (!done) continue;
      if (done->exit_code != 0 && result.exit_code == 0) {
        result.exit_code = done->exit_code;
      }
      result.jobs.push_back(*std::move(done));
    }
  }
  result.logging = rtlog::RealtimeLogger::Stats();
  return result;
}

}  // namespace toil::runner
