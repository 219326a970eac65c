// Local jobs' output as records, in the leader; see captured_lines.h.
#include "toil/rtlog/capture/captured_lines.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "toil/rtlog/base/plural.h"
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
      [this, j](absl::string_view text, bool) {
        Offer(*j, "stdout", options_.stdout_level, text);
      },
      options_.progress_interval);
  job.err = std::make_unique<OutputLines>(
      [this, j](absl::string_view text, bool) {
        Offer(*j, "stderr", options_.stderr_level, text);
      },
      options_.progress_interval);
  return job;
}

void CapturedLines::Output(const Source& source, Stream stream, absl::string_view bytes,
                           absl::Time now) {
  Job& job = JobOf(source);
  now_ = now;
  (stream == kStdout ? job.out : job.err)->Add(bytes, now);
  ReportDrops(job, now, false);
}

void CapturedLines::Ended(const Source& source) {
  auto found = jobs_.find(source.key);
  if (found == jobs_.end()) return;
  now_ = absl::Now();
  found->second.out->Finish();
  found->second.err->Finish();
  ReportDrops(found->second, now_, true);
  jobs_.erase(found);
}

absl::Time CapturedLines::Tick(absl::Time now) {
  now_ = now;
  absl::Time next = absl::InfiniteFuture();
  for (auto& [key, job] : jobs_) {
    job.out->Tick(now);
    job.err->Tick(now);
    ReportDrops(job, now, false);
    next = std::min({next, job.out->next_tick(), job.err->next_tick()});
    if (job.unreported > 0) next = std::min(next, job.reported + kDropReportInterval);
  }
  return next;
}

void CapturedLines::Offer(Job& job, const char* logger, Level level, absl::string_view text) {
  if (level < run_level_()) return;
  Line line{std::string(text), level, logger, absl::ToUnixNanos(now_), job.source};
  std::lock_guard<std::mutex> lock(mu_);
  if (PushLocked(std::move(line), false)) return;
  ++job.dropped;
  ++job.unreported;
  ++dropped_;
}

void CapturedLines::ReportDrops(Job& job, absl::Time now, bool force) {
  if (job.unreported == 0 || (!force && now < job.reported + kDropReportInterval)) return;
  std::string text = absl::StrCat(
      "toil-rtlog: ", internal::CountedWas(job.unreported, "line", "lines"),
      " not sent: the job printed faster than the leader took them (", job.dropped,
      " in all; every line is in its log file)");
  std::lock_guard<std::mutex> lock(mu_);
  if (!force && full_) return;  // said once there is room again
  PushLocked({std::move(text), Level::kWarning, "toil-rt", absl::ToUnixNanos(now), job.source},
             true);
  job.unreported = 0;
  job.reported = now;
}

bool CapturedLines::PushLocked(Line line, bool force) {
  const size_t bytes = line.text.size();
  if (!force && (full_ || queue_.size() >= options_.queue_lines ||
                 queued_bytes_ + bytes > options_.queue_bytes)) {
    full_ = true;
    return false;
  }
  queue_.push_back(std::move(line));
  queued_bytes_ += bytes;
  if (queue_.size() == 1) ready_.notify_one();
  return true;
}

void CapturedLines::Run() {
  LogRecord record;
  std::deque<Line> batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and nothing left
      batch.swap(queue_);
      queued_bytes_ = 0;
      full_ = false;
    }
    for (const Line& line : batch) DeliverLine(line, &record);
    batch.clear();
  }
}

void CapturedLines::DeliverLine(const Line& line, LogRecord* record) const {
  record->Clear();
  record->set_name(line.logger);
  record->set_msg(line.text);
  const absl::string_view level_name = LevelName(line.level);
  record->set_levelname(level_name.data(), level_name.size());
  record->set_levelno(LevelNumber(line.level));
  record->set_created(static_cast<double>(line.time_ns) / 1e9);
  record->set_msecs(static_cast<double>((line.time_ns / 1000000) % 1000));
  record->set_process(line.source->pid);
  record->set_process_name(line.source->program);
  record->set_hostname(internal::HostName());
  record->set_job(line.source->job);
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

uint64_t CapturedLines::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

}  // namespace toil::rtlog::capture
