// The end-of-run report as text for people (RunReportText, run_report.h): a
// table with a row per job, then what each failed job said last.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "toil/rtlog/sinks/terminal_text.h"
#include "toil/runner/run_report.h"

namespace toil::rtlog {
namespace {

constexpr size_t kEndedWidth = 40;  // the table's ENDED cell, at most
constexpr const char* kLevelHeads[] = {"TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};

// Terminal-safe, on one line, at most `width` characters.
std::string Cell(absl::string_view text, size_t width = 0) {
  const std::string safe = TerminalCut(TerminalField(text), width);
  return safe.empty() ? "-" : safe;
}

std::string Wall(double seconds) {
  if (seconds < 60) return absl::StrFormat("%.1fs", seconds);
  const int64_t whole = static_cast<int64_t>(seconds);
  if (whole < 3600) return absl::StrFormat("%dm%02ds", whole / 60, whole % 60);
  return absl::StrFormat("%dh%02dm", whole / 3600, whole / 60 % 60);
}

using Row = std::vector<std::string>;

// Rows as columns padded to their widest cell: text left, numbers right.
void AppendTable(const std::vector<Row>& rows, size_t first_number, std::string* out) {
  std::vector<size_t> width(rows[0].size(), 0);
  for (const Row& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], TerminalWidth(row[i]));
    }
  }
  for (const Row& row : rows) {
    std::string line = " ";
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - TerminalWidth(row[i]), ' ');
      absl::StrAppend(&line, " ", i >= first_number ? pad : "", row[i],
                      i >= first_number ? "" : pad);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    absl::StrAppend(out, line, "\n");
  }
}

void AppendJobTable(const v1::RunReport& report, std::string* out) {
  const bool ran = std::any_of(report.jobs().begin(), report.jobs().end(),
                               [](const v1::JobReport& job) { return !job.state().empty(); });
  std::vector<Row> rows = {{"JOB", "HOST"}};
  if (ran) rows[0].insert(rows[0].end(), {"ENDED", "WALL"});
  rows[0].insert(rows[0].end(), std::begin(kLevelHeads), std::end(kLevelHeads));
  rows[0].push_back("LOST");
  // Shown when any record came unsigned: anyone could have sent those.
  const bool any_unsigned =
      std::any_of(report.jobs().begin(), report.jobs().end(),
                  [](const v1::JobReport& job) { return job.unsigned_records() > 0; });
  if (any_unsigned) rows[0].push_back("UNSIGNED");
  for (const v1::JobReport& job : report.jobs()) {
    Row row = {Cell(job.job()), Cell(job.host())};
    if (ran) {
      row.push_back(Cell(job.state().empty() ? "" : job.ended(), kEndedWidth));
      row.push_back(job.state().empty() ? "-" : Wall(job.wall_seconds()));
    }
    for (int i = 0; i < 6; ++i) {
      row.push_back(absl::StrCat(i < job.records_by_level_size() ? job.records_by_level(i) : 0));
    }
    row.push_back(absl::StrCat(job.lost()));
    if (any_unsigned) row.push_back(absl::StrCat(job.unsigned_records()));
    rows.push_back(std::move(row));
  }
  AppendTable(rows, ran ? 4 : 2, out);
}

void AppendLastRecords(const v1::JobReport& job, std::string* out) {
  if (job.last_records().empty()) {
    absl::StrAppend(out, "  the leader received no records from it\n");
    return;
  }
  absl::StrAppend(out, "  its last records:\n");
  for (const v1::ReportLine& line : job.last_records()) {
    absl::StrAppend(
        out, "    ",
        absl::FormatTime("%H:%M:%E3S ",
                         absl::FromUnixMicros(static_cast<int64_t>(line.created() * 1e6)),
                         absl::LocalTimeZone()),
        absl::StrFormat("%-8s ", line.level()), line.unsigned_record() ? "(unsigned) " : "");
    out->append(TerminalText(line.message(), "      "));
    out->push_back('\n');
  }
}

void AppendLogTail(const v1::JobReport& job, std::string* out) {
  if (job.log_path().empty()) return;
  if (job.log_tail().empty()) {
    absl::StrAppend(out, "  its output file is empty or could not be read\n");
    return;
  }
  absl::StrAppend(out, job.log_tail_captured()
                           ? "  the end of its output, as the leader received it (its output "
                             "file could not be read here):\n"
                           : "  the end of its output:\n");
  for (const std::string& line : job.log_tail()) {
    absl::StrAppend(out, "    ");
    out->append(TerminalText(line, "    "));
    out->push_back('\n');
  }
}

// "job X failed: exit status 3 on node2; its output: /path", and for a
// failed job what it said last.
void AppendEnding(const v1::JobReport& job, absl::string_view prefix, std::string* out) {
  const bool failed = job.state() == "failed";
  absl::StrAppend(out, prefix, "job ", Cell(job.job()),
                  failed ? " failed: " : " was cancelled: ", Cell(job.ended()));
  if (!job.host().empty()) absl::StrAppend(out, " on ", Cell(job.host()));
  if (!job.log_path().empty()) absl::StrAppend(out, "; its output: ", Cell(job.log_path()));
  out->push_back('\n');
  if (!failed) return;
  AppendLastRecords(job, out);
  AppendLogTail(job, out);
}

}  // namespace

std::string RunReportText(const v1::RunReport& report, absl::string_view prefix) {
  std::string out;
  if (report.jobs().empty()) {
    absl::StrAppend(&out, prefix, "report: no job was heard from\n");
    return out;
  }
  absl::StrAppend(&out, prefix, "report: ", report.jobs_size(),
                  report.jobs_size() == 1 ? " job" : " jobs");
  if (report.jobs_forgotten() > 0) {
    absl::StrAppend(&out, " (and ", report.jobs_forgotten(),
                    " more the leader heard from but no longer keeps)");
  }
  out.append(":\n");
  AppendJobTable(report, &out);
  for (const v1::JobReport& job : report.jobs()) {
    if (job.state() == "failed" || job.state() == "cancelled") AppendEnding(job, prefix, &out);
  }
  return out;
}

}  // namespace toil::rtlog
