// The end-of-run report: one row per job with its host, how it ended, the
// records the leader received from it by level, what was lost on the way and
// its wall time; then, for each job that failed, its last records and the
// last lines of its log file. Text for people, JSON (proto/run_report.proto's
// mapping) for scripts. `toil-rtlog run`, StartToil and `serve` print it
// when they end.
//
//   rtlog::v1::RunReport report =
//       MakeRunReport("run", result.jobs, result.job_logs);
//   std::fputs(RunReportText(report, "toil-rtlog run: ").c_str(), stderr);
//   std::puts(RunReportJson(report).c_str());
#ifndef TOIL_RUNNER_RUN_REPORT_H_
#define TOIL_RUNNER_RUN_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/run_report.pb.h"
#include "toil/batch/batch_system.h"
#include "toil/rtlog/base/log_stats.h"

namespace toil::rtlog {

// How the report is written: not at all, as text, or as JSON.
enum class ReportFormat { kNone, kText, kJson };
// "none", "text" or "json"; the error names the choices.
absl::StatusOr<ReportFormat> ParseReportFormat(absl::string_view text);

struct RunReportOptions {
  // Lines from the end of each failed job's log file.
  int log_tail_lines = 10;
  // Whether the run was cut short (SIGINT, SIGTERM...).
  bool interrupted = false;
};

// One row per job in `jobs` (how they ended, in the order they were issued),
// joined by name with what the leader received (`logs`); then a row for each
// job the leader heard from that `jobs` does not name (all of them for a
// standalone server, which runs no jobs).
v1::RunReport MakeRunReport(absl::string_view leader, const std::vector<batch::FinishedJob>& jobs,
                            const JobLogs& logs, const RunReportOptions& options = {});

// How a job ended, for people: "succeeded", "exit status 3", "killed by
// SIGKILL", with the scheduler's reason and the error when there are.
std::string DescribeEnding(const batch::FinishedJob& job);

// The report as text, each line starting with `prefix` ("toil-rtlog run: ")
// or indented under one that does; every text from a job is terminal-safe.
std::string RunReportText(const v1::RunReport& report, absl::string_view prefix);

// The report as one line of JSON, ending with '\n'.
std::string RunReportJson(const v1::RunReport& report);

}  // namespace toil::rtlog

#endif  // TOIL_RUNNER_RUN_REPORT_H_
