// Local jobs' output as records, in the leader; see captured_lines.h.
#include "toil/rtlog/capture/captured_lines.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "toil/rtlog/base/plural.h"
#include "toil/rtlog/capture/whole_lines.h"
#include "toil/rtlog/common/process_info.h"

namespace toil::rtlog::capture {
namespace {

// A job that drops lines says so at most this often while it does.
constexpr absl::Duration kDropReportInterval = absl::Seconds(1);

}  // namespace

CapturedLines::CapturedLines(CapturedLinesOptions options, std::function<Level()> run_level,
                             Deliver deliver)
    : options_(options), run_level_(std::move(run_level)), deliver_(std::move(deliver)) {
  thread_ = std::thread([this] { Run(); });
}

CapturedLines::~CapturedLines() { Stop(); }

CapturedLines::Job& CapturedLines::JobOf(const Source& source) {
  auto found = jobs_.find(source.key);
  if (found != jobs_.end()) return found->second;
  Job& job = jobs_[source.key];
  job.source = std::make_shared<const Source>(source);
  Job* const j = &job;
  job.out = std::make_unique<OutputLines>(
      [this, j](absl::string_view text, bool) { Offer(*j, "stdout", options_.stdout_level, text); },
      options_.progress_interval);
  job.err = std::make_unique<OutputLines>(
      [this, j](absl::string_view text, bool) { Offer(*j, "stderr", options_.stderr_level, text); },
      options_.progress_interval);
  return job;
}

void CapturedLines::Begin(absl::Time now) {
  now_ = now;
  level_now_ = run_level_();
  if (!shedding_) return;
  std::lock_guard<std::mutex> lock(mu_);
  shedding_ = !taken_;
}

void CapturedLines::Output(const Source& source, Stream stream, absl::string_view bytes,
                           absl::Time now) {
  Job& job = JobOf(source);
  Begin(now);
  OutputLines& lines = stream == kStdout ? *job.out : *job.err;
  bytes = stream == kStdout ? TakeWholeLines(job, lines, "stdout", options_.stdout_level, bytes)
                            : TakeWholeLines(job, lines, "stderr", options_.stderr_level, bytes);
  lines.Add(bytes, now);
  Queue(job);
  ReportDrops(job, now, false);
}

absl::string_view CapturedLines::TakeWholeLines(Job& job, OutputLines& lines, const char* logger,
                                                Level level, absl::string_view bytes) {
  const std::optional<WholeLines> whole = FindWholeLines(bytes, OutputLines::kMaxLineBytes);
  if (!whole) return bytes;
  lines.Add(whole->head, now_);  // ends the line it holds
  if (level < level_now_ || whole->count == 0) return whole->tail;
  if (shedding_) {
    CountDropped(job, whole->count);
  } else {
    job.pending.lines.push_back({std::string(whole->lines), level, logger, absl::ToUnixNanos(now_),
                                 whole->count, /*whole=*/true});
  }
  return whole->tail;
}

void CapturedLines::CountDropped(Job& job, uint64_t count) {
  job.dropped += count;
  job.unreported += count;
  dropped_.fetch_add(count, std::memory_order_relaxed);
}

void CapturedLines::Ended(const Source& source) {
  auto found = jobs_.find(source.key);
  if (found == jobs_.end()) return;
  Begin(absl::Now());
  found->second.out->Finish();
  found->second.err->Finish();
  Queue(found->second);
  ReportDrops(found->second, now_, true);
  jobs_.erase(found);
}

absl::Time CapturedLines::Tick(absl::Time now) {
  Begin(now);
  absl::Time next = absl::InfiniteFuture();
  for (auto& [key, job] : jobs_) {
    job.out->Tick(now);
    job.err->Tick(now);
    Queue(job);
    ReportDrops(job, now, false);
    next = std::min({next, job.out->next_tick(), job.err->next_tick()});
    if (job.unreported > 0) next = std::min(next, job.reported + kDropReportInterval);
  }
  return next;
}

void CapturedLines::Offer(Job& job, const char* logger, Level level, absl::string_view text) {
  if (level < level_now_) return;
  if (shedding_) {
    CountDropped(job, 1);
    return;
  }
  job.pending.lines.push_back({std::string(text), level, logger, absl::ToUnixNanos(now_)});
}

void CapturedLines::Queue(Job& job) {
  std::vector<Line>& lines = job.pending.lines;
  if (lines.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  // The entries that fit, in order, in the lines and bytes left.
  size_t fit = 0;
  size_t kept_lines = 0;
  size_t kept_bytes = 0;
  while (fit < lines.size() &&
         queued_lines_ + kept_lines + lines[fit].count <= options_.queue_lines &&
         queued_bytes_ + kept_bytes + lines[fit].text.size() <= options_.queue_bytes) {
    kept_lines += lines[fit].count;
    kept_bytes += lines[fit++].text.size();
  }
  if (fit < lines.size()) {
    uint64_t dropped = 0;
    for (size_t i = fit; i < lines.size(); ++i) dropped += lines[i].count;
    CountDropped(job, dropped);
    lines.resize(fit);
    shedding_ = true;
    taken_ = false;
  }
  if (lines.empty()) return;
  queued_bytes_ += kept_bytes;
  queued_lines_ += kept_lines;
  queue_.push_back({job.source, std::move(lines)});
  lines.clear();
  if (queue_.size() == 1) ready_.notify_one();
}

void CapturedLines::ReportDrops(Job& job, absl::Time now, bool force) {
  if (job.unreported == 0 || (!force && (shedding_ || now < job.reported + kDropReportInterval))) {
    return;
  }
  std::string text =
      absl::StrCat("toil-rtlog: ", internal::CountedWas(job.unreported, "line", "lines"),
                   " not sent: the job printed faster than the leader took them (", job.dropped,
                   " in all; every line is in its log file)");
  std::lock_guard<std::mutex> lock(mu_);
  // Past the bounds: a count is never dropped.
  queue_.push_back(
      {job.source, {{std::move(text), Level::kWarning, "toil-rt", absl::ToUnixNanos(now)}}});
  ++queued_lines_;
  if (queue_.size() == 1) ready_.notify_one();
  job.unreported = 0;
  job.reported = now;
}

void CapturedLines::Run() {
  LogRecord record;
  std::deque<Batch> batches;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and nothing left
      batches.swap(queue_);
      queued_lines_ = 0;
      queued_bytes_ = 0;
      taken_ = true;
    }
    for (const Batch& batch : batches) {
      for (const Line& line : batch.lines) {
        if (!line.whole) {
          DeliverLine(*batch.source, line, line.text, &record);
          continue;
        }
        ForEachLine(line.text, [&](absl::string_view text) {
          DeliverLine(*batch.source, line, text, &record);
        });
      }
    }
    batches.clear();
  }
}

void CapturedLines::DeliverLine(const Source& source, const Line& line, absl::string_view text,
                                LogRecord* record) const {
  record->Clear();
  record->set_name(line.logger);
  record->set_msg(text.data(), text.size());
  const absl::string_view level_name = LevelName(line.level);
  record->set_levelname(level_name.data(), level_name.size());
  record->set_levelno(LevelNumber(line.level));
  record->set_created(static_cast<double>(line.time_ns) / 1e9);
  record->set_msecs(static_cast<double>((line.time_ns / 1000000) % 1000));
  record->set_process(source.pid);
  record->set_process_name(source.program);
  record->set_hostname(internal::HostName());
  record->set_job(source.job);
  deliver_(*record);
}

void CapturedLines::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  ready_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool CapturedLines::HasRoom() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_lines_ <= options_.queue_lines / 2 && queued_bytes_ <= options_.queue_bytes / 2;
}

uint64_t CapturedLines::dropped() const { return dropped_.load(std::memory_order_relaxed); }

}  // namespace toil::rtlog::capture
