// Running a workflow with real-time logging; see start_toil.h.
#include "toil/runner/start_toil.h"

#include <cstdio>

namespace toil::runner {
namespace {

void WriteReport(rtlog::ReportFormat format, const WorkflowResult& result) {
  if (format == rtlog::ReportFormat::kNone) return;
  const rtlog::v1::RunReport report = rtlog::MakeRunReport("workflow", result.jobs, result.job_logs,
                                                           {.interrupted = result.cancelled});
  const std::string text = format == rtlog::ReportFormat::kJson
                               ? rtlog::RunReportJson(report)
                               : rtlog::RunReportText(report, "toil: ");
  std::fputs(text.c_str(), stderr);
}

}  // namespace

absl::StatusOr<WorkflowResult> StartToil(const ToilOptions& options,
                                         batch::BatchSystem& batch_system,
                                         const std::vector<batch::JobSpec>& jobs) {
  WorkflowResult result;
  {
    rtlog::RealtimeLogger logger(batch_system, options.realtime_logging);
    if (options.on_logging_started) options.on_logging_started(logger);
    const auto cancel_if_asked = [&] {
      if (result.cancelled || !options.cancelled || !options.cancelled()) return;
      result.cancelled = true;
      batch_system.Shutdown();  // what it ends is reported below
    };
    for (const batch::JobSpec& job : jobs) {
      cancel_if_asked();
      if (result.cancelled) break;
      absl::StatusOr<batch::JobId> id = batch_system.IssueJob(job);
      if (!id.ok()) return id.status();
    }
    // Asked before any job was issued, or while the last one was: the run
    // was still cut short.
    cancel_if_asked();
    while (batch_system.UnfinishedJobs() > 0) {
      cancel_if_asked();
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
  result.job_logs = rtlog::RealtimeLogger::job_logs();
  WriteReport(options.report, result);
  return result;
}

}  // namespace toil::runner
