// --report and --report_file; see report_flags.h.
#include "toil/cli/report_flags.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, report, "text",
          "The report written when the run ends, a row per job "
          "(host, how it ended, records by level, lost, wall time) and what "
          "each failed job said last: text (on stderr), json (on stdout, one "
          "object: proto/run_report.proto's JSON) or none.");
ABSL_FLAG(std::string, report_file, "",
          "Write the --report to this file instead (checked when the command starts).");

namespace toil::cli {

absl::StatusOr<ReportRequest> ReportFlags(bool stdout_free) {
  absl::StatusOr<rtlog::ReportFormat> format =
      rtlog::ParseReportFormat(absl::GetFlag(FLAGS_report));
  if (!format.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--report=", absl::GetFlag(FLAGS_report), ": ", format.status().message()));
  }
  ReportRequest request{*format, absl::GetFlag(FLAGS_report_file)};
  // Found out now, not when the run has ended and the report would be lost.
  if (!request.file.empty()) {
    const int fd = open(request.file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);
    if (fd < 0) {
      return absl::InvalidArgumentError(absl::StrCat("--report_file=", request.file,
                                                     " cannot be written: ", std::strerror(errno)));
    }
    close(fd);
  }
  if (*format == rtlog::ReportFormat::kJson && request.file.empty() && !stdout_free) {
    return absl::InvalidArgumentError(
        "--report=json needs --report_file here: this command's stdout carries its export "
        "lines, and is let go of after them");
  }
  return request;
}

void WriteReport(const ReportRequest& request, const rtlog::v1::RunReport& report,
                 const std::string& prefix) {
  if (request.format == rtlog::ReportFormat::kNone) return;
  const bool json = request.format == rtlog::ReportFormat::kJson;
  const std::string text =
      json ? rtlog::RunReportJson(report) : rtlog::RunReportText(report, prefix);
  if (request.file.empty()) {
    std::fputs(text.c_str(), json ? stdout : stderr);
    std::fflush(json ? stdout : stderr);
    return;
  }
  FILE* file = std::fopen(request.file.c_str(), "w");
  const bool written = file != nullptr && std::fputs(text.c_str(), file) >= 0;
  if (file == nullptr || std::fclose(file) != 0 || !written) {
    std::fprintf(stderr, "%scannot write the report to --report_file=%s: %s\n", prefix.c_str(),
                 request.file.c_str(), std::strerror(errno));
  }
}

}  // namespace toil::cli
