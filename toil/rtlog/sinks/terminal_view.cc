// Folding repeats and sharing the terminal fairly; see terminal_view.h.
#include "toil/rtlog/sinks/terminal_view.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace toil::rtlog::internal {
namespace {

constexpr size_t kMaxNamesPerPattern = 1000;  // jobs, hosts: "1000+"

std::string Count(size_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, n >= kMaxNamesPerPattern ? "+" : "", " ", n == 1 ? one : many);
}

// The job a record counts against: its name, else its sender's address.
std::string JobOf(const LogRecord& record, absl::string_view sender) {
  return record.job().empty() ? std::string(sender) : record.job();
}

std::string HostOf(const LogRecord& record, absl::string_view sender) {
  if (!record.hostname().empty()) return record.hostname();
  return std::string(sender.substr(0, sender.rfind(':')));
}

}  // namespace

std::string TerminalView::PatternKey(int levelno, absl::string_view message) {
  std::string key = absl::StrCat(levelno, "\x1f");
  size_t i = 0;
  while (i < message.size()) {
    if (message[i] == ' ') {
      key.push_back(' ');
      ++i;
      continue;
    }
    const size_t end = std::min(message.find(' ', i), message.size());
    const absl::string_view word = message.substr(i, end - i);
    if (std::any_of(word.begin(), word.end(), absl::ascii_isdigit)) {
      key.push_back('\x01');
    } else {
      key.append(word.data(), word.size());
    }
    i = end;
  }
  return key;
}

TerminalView::Verdict TerminalView::Admit(const LogRecord& record, absl::string_view message,
                                          absl::string_view sender, absl::Time now,
                                          bool unsigned_record) {
  bool folding = options_.repeat_window > absl::ZeroDuration();
  const std::string job = JobOf(record, sender);
  std::string key;
  if (folding) {
    key = PatternKey(record.levelno(), message);
    if (unsigned_record) key.append("\x01unsigned");
    const auto found = by_key_.find(key);
    if (found != by_key_.end() && now < found->second->window_end) {
      if (found->second->shown_by != job) {
        Repeat(*found->second, record, message, sender);
        ++held_;
        return Verdict::kHeld;
      }
      folding = false;  // the job's own next line: its window goes on
    } else if (found != by_key_.end()) {
      Close(*found->second, &early_);  // its window closed before a Tick
      patterns_.erase(found->second);
      by_key_.erase(found);
    }
  }
  if (options_.job_lines_per_second > 0 && !TakeToken(job, now)) {
    ++hidden_;
    return Verdict::kHidden;
  }
  if (folding) {
    patterns_.push_back({.key = key,
                         .shown_by = job,
                         .window_end = now + options_.repeat_window,
                         .levelno = record.levelno(),
                         .unsigned_records = unsigned_record});
    by_key_[patterns_.back().key] = std::prev(patterns_.end());
    if (by_key_.size() > options_.max_patterns) {
      Close(patterns_.front(), &early_);
      by_key_.erase(patterns_.front().key);
      patterns_.pop_front();
      ++patterns_let_go_;
    }
  }
  return Verdict::kShow;
}

void TerminalView::Repeat(Pattern& pattern, const LogRecord& record, absl::string_view message,
                          absl::string_view sender) {
  ++pattern.repeats;
  pattern.last_message.assign(message.data(), message.size());
  if (pattern.jobs.size() < kMaxNamesPerPattern) pattern.jobs.insert(JobOf(record, sender));
  if (pattern.hosts.size() < kMaxNamesPerPattern) pattern.hosts.insert(HostOf(record, sender));
}

bool TerminalView::TakeToken(const std::string& name, absl::Time now) {
  const double rate = options_.job_lines_per_second;
  auto found = jobs_.find(name);
  if (found == jobs_.end()) {
    job_order_.push_back({.name = name, .tokens = rate, .refilled = now});
    found = jobs_.emplace(name, std::prev(job_order_.end())).first;
    if (jobs_.size() > options_.max_jobs) {
      Job& oldest = job_order_.front();
      NoteHidden(oldest, &early_);
      jobs_.erase(oldest.name);
      job_order_.pop_front();
      ++jobs_let_go_;
    }
  } else {
    job_order_.splice(job_order_.end(), job_order_, found->second);  // most recent last
  }
  Job& job = *found->second;
  job.tokens = std::min(rate, job.tokens + absl::ToDoubleSeconds(now - job.refilled) * rate);
  job.refilled = now;
  if (job.tokens >= 1) {
    job.tokens -= 1;
    return true;
  }
  ++job.hidden;
  return false;
}

void TerminalView::Close(const Pattern& pattern, std::vector<TerminalNotice>* notices) {
  if (pattern.repeats == 0) return;
  notices->push_back(
      {.levelno = pattern.levelno,
       .label =
           pattern.jobs.size() == 1 && pattern.hosts.size() == 1
               ? absl::StrCat("repeated ", pattern.repeats, "x by ", *pattern.jobs.begin(), " on ",
                              *pattern.hosts.begin(), pattern.unsigned_records ? ", unsigned" : "")
               : absl::StrCat("repeated ", pattern.repeats, "x across ",
                              Count(pattern.jobs.size(), "job", "jobs"), " on ",
                              Count(pattern.hosts.size(), "host", "hosts"),
                              pattern.unsigned_records ? ", unsigned" : ""),
       .message = pattern.last_message});
}

void TerminalView::NoteHidden(Job& job, std::vector<TerminalNotice>* notices) {
  if (job.hidden == 0) return;
  notices->push_back({.levelno = 30,
                      .label = "fair share",
                      .message = absl::StrCat(
                          job.hidden, job.hidden == 1 ? " line" : " lines", " from ", job.name,
                          " not shown (more than ", options_.job_lines_per_second, " a second)",
                          options_.hidden_hint.empty() ? "" : "; ", options_.hidden_hint)});
  job.hidden = 0;
}

void TerminalView::Tick(absl::Time now, std::vector<TerminalNotice>* notices) {
  for (TerminalNotice& notice : early_) notices->push_back(std::move(notice));
  early_.clear();
  while (!patterns_.empty() && patterns_.front().window_end <= now) {
    Close(patterns_.front(), notices);
    by_key_.erase(patterns_.front().key);
    patterns_.pop_front();
  }
  if (now < next_hidden_report_) return;
  next_hidden_report_ = now + absl::Seconds(1);
  for (Job& job : job_order_) NoteHidden(job, notices);
}

void TerminalView::Finish(std::vector<TerminalNotice>* notices) {
  next_hidden_report_ = absl::InfinitePast();
  Tick(absl::InfiniteFuture(), notices);
}

}  // namespace toil::rtlog::internal
