// --report and --report_file (serve, run): which end-of-run report to write
// (toil/runner/run_report.h) and where. Text goes to stderr with the rest of
// what the tool says to people; JSON to stdout, for scripts; --report_file
// sends either to a file.
#ifndef TOIL_CLI_REPORT_FLAGS_H_
#define TOIL_CLI_REPORT_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "proto/run_report.pb.h"
#include "toil/runner/run_report.h"

ABSL_DECLARE_FLAG(std::string, report);
ABSL_DECLARE_FLAG(std::string, report_file);

namespace toil::cli {

struct ReportRequest {
  rtlog::ReportFormat format = rtlog::ReportFormat::kText;
  std::string file;  // "" for the default place
};

// What the flags ask for, or an error naming the flag. `stdout_free`: whether
// stdout can take a JSON report (not for serve, which prints its export lines
// there and then lets go of it).
absl::StatusOr<ReportRequest> ReportFlags(bool stdout_free);

// Writes `report` as asked, text lines starting with `prefix`; says on
// stderr when the file cannot be written.
void WriteReport(const ReportRequest& request, const rtlog::v1::RunReport& report,
                 const std::string& prefix);

}  // namespace toil::cli

#endif  // TOIL_CLI_REPORT_FLAGS_H_
