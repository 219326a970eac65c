// What each job sent; see job_ledger.h.
#include "toil/rtlog/leader/report/job_ledger.h"

#include <algorithm>

#include "toil/rtlog/base/level.h"
#include "toil/rtlog/common/utf8.h"

namespace toil::rtlog::internal {

namespace {

// `text`, cut at JobLog::kMessageBytes (and an ellipsis then).
std::string Shortened(absl::string_view text) {
  const size_t cut = Utf8CutPoint(text, JobLog::kMessageBytes);
  std::string shortened(text.data(), cut);
  if (cut < text.size()) shortened.append("\u2026");
  return shortened;
}

}  // namespace

JobLedger::Entry& JobLedger::EntryFor(const LogEntry& record) {
  const absl::string_view job = !record.job().empty() ? record.job() : record.process_name();
  if (last_ != nullptr && last_job_ == job) return *last_;
  auto found = jobs_.find(job);
  if (found == jobs_.end()) {
    if (jobs_.size() >= kMaxJobs) ForgetOldestLocked();
    found = jobs_.try_emplace(job).first;  // may move every entry
    found->second.log.job = std::string(job);
    found->second.first = arrivals_;
  }
  last_ = &found->second;
  last_job_.assign(job.data(), job.size());
  return *last_;
}

void JobLedger::Send(const LogEntry& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& job = EntryFor(entry);
  job.latest = ++arrivals_;
  if (job.log.host != entry.host()) job.log.host = std::string(entry.host());
  ++job.log.records_by_level[LevelIndex(entry.level())];
  const bool unsigned_record = entry.authenticity() == Authenticity::kUnsigned;
  if (unsigned_record) ++job.log.unsigned_records;
  std::vector<JobLog::Line>& lines = job.log.last_lines;
  if (lines.size() < JobLog::kLastLines) lines.emplace_back();
  JobLog::Line& line = lines[job.next_line];
  job.next_line = (job.next_line + 1) % JobLog::kLastLines;
  line.created = absl::ToDoubleSeconds(entry.time() - absl::UnixEpoch());
  line.levelno = entry.levelno();
  line.unsigned_record = unsigned_record;
  line.message = Shortened(entry.text_message());
  if (entry.logger_name() == "stdout" || entry.logger_name() == "stderr") {
    std::vector<std::string>& output = job.log.last_output;
    if (output.size() == JobLog::kLastOutputLines) output.erase(output.begin());
    output.push_back(line.message);
  }
}

void JobLedger::ForgetOldestLocked() {
  last_ = nullptr;
  std::vector<uint64_t> latest;
  latest.reserve(jobs_.size());
  for (const auto& [name, entry] : jobs_) latest.push_back(entry.latest);
  std::nth_element(latest.begin(), latest.begin() + latest.size() / 2, latest.end());
  const uint64_t median = latest[latest.size() / 2];
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->second.latest <= median) {
      jobs_.erase(it++);
      ++forgotten_;
    } else {
      ++it;
    }
  }
}

std::vector<JobLog> JobLedger::Snapshot() const {
  std::vector<std::pair<uint64_t, JobLog>> ordered;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ordered.reserve(jobs_.size());
    for (const auto& [name, entry] : jobs_) {
      JobLog log = entry.log;
      // Oldest first: the ring's next slot holds the oldest once it is full.
      std::vector<JobLog::Line>& lines = log.last_lines;
      const bool full = lines.size() == JobLog::kLastLines;
      std::rotate(lines.begin(), lines.begin() + (full ? entry.next_line : 0), lines.end());
      ordered.emplace_back(entry.first, std::move(log));
    }
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<JobLog> logs;
  logs.reserve(ordered.size());
  for (auto& [first, log] : ordered) logs.push_back(std::move(log));
  return logs;
}

uint64_t JobLedger::forgotten() const {
  std::lock_guard<std::mutex> lock(mu_);
  return forgotten_;
}

}  // namespace toil::rtlog::internal
