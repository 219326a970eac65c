// StartToil: run a set of jobs on a batch system with real-time logging bound
// to the run, the way Toil's Job.Runner.startToil does: the log server starts
// before the first job is issued and stops after the last one has finished.
//
//   toil::batch::LocalBatchSystem batch;
//   absl::StatusOr<WorkflowResult> result =
//       StartToil({.realtime_logging = {.level = "INFO"}}, batch, jobs);
#ifndef TOIL_RUNNER_START_TOIL_H_
#define TOIL_RUNNER_START_TOIL_H_

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "toil/batch/batch_system.h"
#include "toil/runner/realtime_logger.h"
#include "toil/runner/run_report.h"

namespace toil::runner {

struct ToilOptions {
  rtlog::RealtimeLoggerOptions realtime_logging;
  // Called once real-time logging has started (or failed to), before the
  // first job is issued: say where its control plane listens, for example.
  std::function<void(const rtlog::RealtimeLogger&)> on_logging_started;
  // When set, polled a few times a second: once it returns true the run is
  // cut short, the batch system cancels what is queued or running, and the
  // result lists every job with how it ended.
  std::function<bool()> cancelled;
  // The end-of-run report (a row per job, what the failed ones said last;
  // toil/runner/run_report.h), written to stderr once the run has ended and
  // real-time logging has stopped: as text, as JSON, or not at all (to write
  // it yourself from the result).
  rtlog::ReportFormat report = rtlog::ReportFormat::kText;
};

struct WorkflowResult {
  // Every job, in the order they finished.
  std::vector<batch::FinishedJob> jobs;
  // 0 when every job succeeded, else the exit code of the first job that
  // failed.
  int exit_code = 0;
  // Real-time logging counts for the run, and what each job sent.
  rtlog::LogStats logging;
  rtlog::JobLogs job_logs;
  // Whether `cancelled` cut the run short.
  bool cancelled = false;
};

// Issues every job, waits for all of them (or until the run is cancelled),
// and returns how they ended. Fails only when a job cannot be issued at all.
absl::StatusOr<WorkflowResult> StartToil(const ToilOptions& options,
                                         batch::BatchSystem& batch_system,
                                         const std::vector<batch::JobSpec>& jobs);

}  // namespace toil::runner

#endif  // TOIL_RUNNER_START_TOIL_H_
