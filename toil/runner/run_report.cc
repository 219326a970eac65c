// The end-of-run report; see run_report.h.
#include "toil/runner/run_report.h"

#include <signal.h>

#include <algorithm>
#include <fstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/base/proto_json.h"

namespace toil::rtlog {
namespace {

constexpr size_t kTailBytes = 64 << 10;  // read from a log file's end

const char* StateOf(const batch::FinishedJob& job) {
  if (job.exit_code == 0) return "succeeded";
  return job.reason == "cancelled" ? "cancelled" : "failed";
}

// The last `lines` lines of the file at `path` (empty when it cannot be read).
std::vector<std::string> LogTail(const std::string& path, int lines) {
  std::ifstream file(path, std::ios::binary);
  if (!file || lines <= 0) return {};
  file.seekg(0, std::ios::end);
  const std::streamoff size = file.tellg();
  const std::streamoff start = std::max<std::streamoff>(0, size - kTailBytes);
  file.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  std::vector<std::string> all = absl::StrSplit(text, '\n');
  if (!all.empty() && all.back().empty()) all.pop_back();
  if (start > 0 && !all.empty()) all.erase(all.begin());  // cut mid-line
  const size_t keep = std::min(all.size(), static_cast<size_t>(lines));
  return std::vector<std::string>(all.end() - keep, all.end());
}

void AddLog(const JobLog& log, v1::JobReport* row) {
  if (row->host().empty()) row->set_host(log.host);
  for (uint64_t n : log.records_by_level) row->add_records_by_level(n);
  row->set_records(log.records());
  row->set_lost(log.lost);
  row->set_unsigned_records(log.unsigned_records);
}

void AddLastRecords(const JobLog& log, v1::JobReport* row) {
  for (const JobLog::Line& line : log.last_lines) {
    v1::ReportLine* out = row->add_last_records();
    out->set_created(line.created);
    out->set_level(std::string(LevelName(LevelFromNumber(line.levelno))));
    out->set_message(line.message);
    out->set_unsigned_record(line.unsigned_record);
  }
}

// When the job's log file gave nothing here (on another machine), the end
// of what it printed, as captured.
void AddCapturedTail(const JobLog& log, v1::JobReport* row) {
  if (row->log_tail_size() > 0 || log.last_output.empty()) return;
  for (const std::string& line : log.last_output) row->add_log_tail(line);
  row->set_log_tail_captured(true);
}

void AddJob(const batch::FinishedJob& job, int log_tail_lines, v1::JobReport* row) {
  row->set_job(job.name);
  row->set_host(job.host);
  row->set_state(StateOf(job));
  row->set_exit_code(job.exit_code);
  row->set_signal(job.signal);
  row->set_reason(job.reason);
  row->set_error(job.error);
  row->set_ended(DescribeEnding(job));
  row->set_wall_seconds(absl::ToDoubleSeconds(job.wall_time));
  row->set_log_path(job.log_path);
  if (row->state() == "failed") {
    for (std::string& line : LogTail(job.log_path, log_tail_lines)) {
      row->add_log_tail(std::move(line));
    }
  }
}

}  // namespace

absl::StatusOr<ReportFormat> ParseReportFormat(absl::string_view text) {
  if (text == "none") return ReportFormat::kNone;
  if (text == "text") return ReportFormat::kText;
  if (text == "json") return ReportFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not a report format; use text, json or none"));
}

std::string DescribeEnding(const batch::FinishedJob& job) {
  std::string how = job.signal != 0      ? absl::StrCat("killed by SIG", sigabbrev_np(job.signal))
                    : job.exit_code == 0 ? std::string("succeeded")
                                         : absl::StrCat("exit status ", job.exit_code);
  if (!job.reason.empty()) absl::StrAppend(&how, " (", job.reason, ")");
  if (!job.error.empty()) absl::StrAppend(&how, ": ", job.error);
  return how;
}

v1::RunReport MakeRunReport(absl::string_view leader, const std::vector<batch::FinishedJob>& jobs,
                            const JobLogs& logs, const RunReportOptions& options) {
  v1::RunReport report;
  report.set_leader(std::string(leader));
  report.set_jobs_forgotten(logs.forgotten);
  report.set_interrupted(options.interrupted);
  absl::flat_hash_map<absl::string_view, const JobLog*> log_of;
  for (const JobLog& log : logs.jobs) log_of.emplace(log.job, &log);
  std::vector<const batch::FinishedJob*> issued;
  for (const batch::FinishedJob& job : jobs) issued.push_back(&job);
  std::sort(issued.begin(), issued.end(),
            [](const auto* a, const auto* b) { return a->id < b->id; });
  const JobLog kNothing;
  for (const batch::FinishedJob* job : issued) {
    v1::JobReport* row = report.add_jobs();
    AddJob(*job, options.log_tail_lines, row);
    auto found = log_of.find(job->name);
    const JobLog& log = found != log_of.end() ? *found->second : kNothing;
    AddLog(log, row);
    if (row->state() == "failed") {
      AddLastRecords(log, row);
      AddCapturedTail(log, row);
    }
    if (found != log_of.end()) log_of.erase(found);
  }
  for (const JobLog& log : logs.jobs) {
    if (!log_of.contains(log.job)) continue;  // a job above
    v1::JobReport* row = report.add_jobs();
    row->set_job(log.job);
    AddLog(log, row);
  }
  return report;
}

std::string RunReportJson(const v1::RunReport& report) { return ProtoJsonLine(report); }

}  // namespace toil::rtlog
