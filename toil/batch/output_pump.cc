// Reading local jobs' output in the leader; see output_pump.h.
#include "toil/batch/output_pump.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "toil/rtlog/base/fd_write.h"
#include "toil/rtlog/base/stderr_copy.h"

namespace toil::batch {
namespace {

void CloseIfOpen(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// poll's timeout for waking at `wake`: -1 for never, at most a minute.
int TimeoutFor(absl::Time wake) {
  if (wake == absl::InfiniteFuture()) return -1;
  const absl::Duration wait = std::max(wake - absl::Now(), absl::ZeroDuration());
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1))), 60000));
}

}  // namespace

OutputPump::OutputPump(OutputPumpOptions options) : options_(options) {}

OutputPump::~OutputPump() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  for (auto& [key, job] : jobs_) CloseAllLocked(job);
  CloseIfOpen(wake_read_);
  CloseIfOpen(wake_write_);
  CloseIfOpen(inotify_fd_);
}

void OutputPump::SetListener(OutputListener* listener) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    listener_ = listener;
    next_tick_ = absl::InfiniteFuture();
  }
  Wake();
}

bool OutputPump::has_listener() const {
  std::lock_guard<std::mutex> lock(mu_);
  return listener_ != nullptr;
}

int OutputPump::Open(uint64_t key, const std::string& log_path, ChildEnds* ends) {
  std::lock_guard<std::mutex> lock(mu_);
  if (wake_read_ < 0) {
    int wake[2];
    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) return errno;
    wake_read_ = wake[0];
    wake_write_ = wake[1];
    if (options_.watch_files) inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    thread_ = std::thread([this] { Run(); });
  }
  Job job;
  job.source.key = key;
  if (const int error = OpenEndsLocked(job, log_path); error != 0) {
    CloseAllLocked(job);
    return error;
  }
  if (inotify_fd_ >= 0) {
    job.watch = inotify_add_watch(inotify_fd_, log_path.c_str(), IN_MODIFY);
    if (job.watch >= 0) watches_[job.watch] = key;
  }
  *ends = {job.child_stdout_fd, job.child_fds[kErr], job.child_fds[kCopy],
           rtlog::internal::DescribeCopyDescriptor(job.child_fds[kCopy], job.child_fds[kErr])};
  jobs_[key] = std::move(job);
  return 0;
}

int OutputPump::OpenEndsLocked(Job& job, const std::string& log_path) {
  for (int i = 0; i < kPipes; ++i) {
    int pipe_ends[2];
    if (pipe2(pipe_ends, O_CLOEXEC) != 0) return errno;
    fcntl(pipe_ends[0], F_SETFL, O_NONBLOCK);
    job.read_fds[i] = pipe_ends[0];
    job.child_fds[i] = pipe_ends[1];
  }
  // Both writers append: neither overwrites what the other wrote.
  job.log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (job.log_fd < 0) return errno;
  job.child_stdout_fd = open(log_path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (job.child_stdout_fd < 0) return errno;
  job.follow_fd = open(log_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (job.follow_fd < 0) return errno;
  return 0;
}

void OutputPump::Started(OutputSource source) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = jobs_.find(source.key);
    if (found == jobs_.end()) return;
    Job& job = found->second;
    for (int& fd : job.child_fds) CloseIfOpen(fd);
    CloseIfOpen(job.child_stdout_fd);
    job.source = std::move(source);
    job.started = true;
    job.follow_due = true;
  }
  Wake();
}

void OutputPump::Abandon(uint64_t key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = jobs_.find(key);
  if (found == jobs_.end()) return;
  CloseAllLocked(found->second);
  jobs_.erase(found);
}

void OutputPump::ProcessEnded(uint64_t key) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = jobs_.find(key);
    if (found == jobs_.end() || found->second.process_ended) return;
    found->second.process_ended = true;
    found->second.follow_due = true;  // to its end, once more
    found->second.last_byte = absl::Now();
  }
  Wake();
}

bool OutputPump::Done(uint64_t key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = jobs_.find(key);
  if (found == jobs_.end()) return true;
  if (!found->second.done) return false;
  jobs_.erase(found);
  return true;
}

uint64_t OutputPump::pauses() const { return pauses_.load(std::memory_order_relaxed); }

uint64_t OutputPump::holds() const { return holds_.load(std::memory_order_relaxed); }

void OutputPump::Wake() {
  int fd = -1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    fd = wake_write_;  // made by the first Open, on any thread
  }
  if (fd < 0) return;
  const char byte = 1;
  [[maybe_unused]] const ssize_t ignored = write(fd, &byte, 1);
}

void OutputPump::CloseAllLocked(Job& job) {
  for (int& fd : job.read_fds) CloseIfOpen(fd);
  for (int& fd : job.child_fds) CloseIfOpen(fd);
  CloseIfOpen(job.child_stdout_fd);
  CloseIfOpen(job.follow_fd);
  CloseIfOpen(job.log_fd);
  if (job.watch >= 0) {
    inotify_rm_watch(inotify_fd_, job.watch);
    watches_.erase(job.watch);
    job.watch = -1;
  }
}

absl::Time OutputPump::WatchedLocked(std::vector<pollfd>* fds, std::vector<Watched>* watched) {
  fds->assign({{wake_read_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}});  // -1: not polled
  watched->clear();
  absl::Time wake = listener_ != nullptr ? next_tick_ : absl::InfiniteFuture();
  const absl::Time now = absl::Now();
  for (const auto& [key, job] : jobs_) {
    if (!job.started || job.done) continue;
    for (const Pipe pipe : {kCopy, kErr}) {
      if (job.read_fds[pipe] < 0) continue;
      fds->push_back({job.read_fds[pipe], POLLIN, 0});
      watched->push_back({key, pipe});
    }
    // A round is coming soon, and will look at the file: inotify's events
    // can wait for it (a fast writer's events merge meanwhile, and do not
    // wake the pump once a write).
    if (job.follow_due) {
      wake = std::min(wake, job.held ? now + kHeldPause : now);
      (*fds)[1].fd = -1;
    }
    if (job.watch < 0) wake = std::min(wake, now + kReadPause);
    if (job.process_ended) wake = std::min(wake, job.last_byte + options_.linger);
  }
  return wake;
}

void OutputPump::Run() {
  std::vector<pollfd> fds;
  std::vector<Watched> watched;
  while (true) {
    absl::Time wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      wake = WatchedLocked(&fds, &watched);
    }
    poll(fds.data(), fds.size(), TimeoutFor(wake));
    if (fds[0].revents != 0) {
      char drained[256];
      while (read(wake_read_, drained, sizeof(drained)) > 0) {
      }
    }
    size_t most = 0;  // the largest read
    {
      std::lock_guard<std::mutex> lock(mu_);
      const absl::Time now = absl::Now();
      if (inotify_fd_ >= 0) TakeFileEventsLocked();  // polled or not
      for (size_t i = 0; i < watched.size(); ++i) {
        if (fds[i + 2].revents == 0) continue;
        auto found = jobs_.find(watched[i].key);
        if (found == jobs_.end()) continue;
        most = std::max(most, ReadLocked(found->second, watched[i].pipe, now));
      }
      const bool full = listener_ != nullptr && !listener_->HasRoom();
      for (auto& [key, job] : jobs_) {
        if (!job.started || job.done || !(job.follow_due || job.watch < 0)) continue;
        job.held = full && HoldLocked(job, now);
        if (!job.held) most = std::max(most, FollowLocked(job, now));
      }
      FinishLocked(now);
      if (listener_ != nullptr) next_tick_ = listener_->Tick(now);
    }
    if (most > 0 && most < kBusyReadBytes) {
      pauses_.fetch_add(1, std::memory_order_relaxed);
      absl::SleepFor(kReadPause);
    }
  }
}

size_t OutputPump::ReadLocked(Job& job, Pipe pipe, absl::Time now) {
  char buffer[kReadBytes];
  const ssize_t n = read(job.read_fds[pipe], buffer, sizeof(buffer));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n <= 0) {
    CloseIfOpen(job.read_fds[pipe]);
    return 0;
  }
  const absl::string_view bytes(buffer, static_cast<size_t>(n));
  AppendLocked(job, bytes);
  if (pipe == kErr && listener_ != nullptr) {
    listener_->Output(job.source, OutputStream::kStderr, bytes, now);
  }
  if (job.process_ended) job.last_byte = now;
  return static_cast<size_t>(n);
}

void OutputPump::AppendLocked(Job& job, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(job.log_fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (!job.write_failed) {
        job.write_failed = true;
        rtlog::internal::WarnOnStderr(absl::StrCat(
            "cannot write the output of job ", job.source.job, " to its log file: ",
            n < 0 ? strerror(errno) : "nothing written", " (its lines still reach the leader)"));
      }
      return;
    }
    // Appending leaves the offset at the end of what this write put there.
    const off_t end = lseek(job.log_fd, 0, SEEK_CUR);
    if (end >= n) {
      const Span span{static_cast<uint64_t>(end - n), static_cast<uint64_t>(end)};
      if (!job.appended.empty() && job.appended.back().end == span.begin) {
        job.appended.back().end = span.end;
      } else {
        job.appended.push_back(span);
      }
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void OutputPump::TakeFileEventsLocked() {
  alignas(inotify_event) char events[4096];
  ssize_t n;
  while ((n = read(inotify_fd_, events, sizeof(events))) > 0) {
    for (const char* at = events; at < events + n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(at);
      at += sizeof(inotify_event) + event->len;
      if ((event->mask & IN_Q_OVERFLOW) != 0) {
        for (auto& [key, job] : jobs_) job.follow_due = true;
        continue;
      }
      const auto watch = watches_.find(event->wd);
      if (watch == watches_.end()) continue;  // its job is gone
      const auto job = jobs_.find(watch->second);
      if (job != jobs_.end()) job->second.follow_due = true;
    }
  }
}

bool OutputPump::HoldLocked(Job& job, absl::Time now) {
  if (now >= job.behind_since + options_.max_hold) return false;
  if (Unread(job) >= options_.max_lag_bytes) return false;
  job.behind_since = std::min(job.behind_since, now);
  holds_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

size_t OutputPump::FollowLocked(Job& job, absl::Time now) {
  if (listener_ == nullptr) {  // nobody to hand it to: on to the end
    job.followed += Unread(job);
    DropAppendedBefore(job, job.followed);
    job.follow_due = false;
    job.behind_since = absl::InfiniteFuture();
    return 0;
  }
  char buffer[kReadBytes];
  const ssize_t n = pread(job.follow_fd, buffer, sizeof(buffer), static_cast<off_t>(job.followed));
  if (n < 0 && errno == EINTR) return 0;
  if (n < static_cast<ssize_t>(sizeof(buffer))) {  // at the file's end
    job.follow_due = false;
    job.behind_since = absl::InfiniteFuture();
  }
  if (n == 0) RestartIfTruncated(job);
  if (n <= 0) return 0;
  const uint64_t begin = job.followed;
  job.followed += static_cast<uint64_t>(n);
  if (job.process_ended) job.last_byte = now;
  HandOnLocked(job, absl::string_view(buffer, static_cast<size_t>(n)), begin, now);
  return static_cast<size_t>(n);
}

void OutputPump::HandOnLocked(Job& job, absl::string_view bytes, uint64_t begin, absl::Time now) {
  const uint64_t end = begin + bytes.size();
  for (uint64_t at = begin; at < end;) {
    DropAppendedBefore(job, at);
    const bool cut = !job.appended.empty() && job.appended.front().begin < end;
    const uint64_t stop = cut ? std::max(at, job.appended.front().begin) : end;
    if (stop > at) {
      listener_->Output(job.source, OutputStream::kStdout, bytes.substr(at - begin, stop - at),
                        now);
    }
    at = cut ? job.appended.front().end : end;
  }
  DropAppendedBefore(job, end);
}

void OutputPump::RestartIfTruncated(Job& job) {
  const uint64_t size = FileSize(job);
  if (size >= job.followed) return;
  // What came after the cut starts at 0; of the pump's own appends, those
  // are the ones inside the file now.
  job.followed = 0;
  std::deque<Span> kept;
  for (const Span& span : job.appended) {
    if (span.end <= size) kept.push_back(span);
  }
  job.appended.swap(kept);
  job.follow_due = true;
}

uint64_t OutputPump::FileSize(const Job& job) {
  struct stat file;
  return fstat(job.follow_fd, &file) == 0 ? static_cast<uint64_t>(file.st_size) : 0;
}

uint64_t OutputPump::Unread(const Job& job) {
  const uint64_t size = FileSize(job);
  return size > job.followed ? size - job.followed : 0;
}

void OutputPump::DropAppendedBefore(Job& job, uint64_t offset) {
  while (!job.appended.empty() && job.appended.front().end <= offset) job.appended.pop_front();
}

void OutputPump::FinishLocked(absl::Time now) {
  for (auto& [key, job] : jobs_) {
    if (!job.started || !job.process_ended || job.done) continue;
    const bool all_closed =
        std::all_of(job.read_fds.begin(), job.read_fds.end(), [](int fd) { return fd < 0; });
    if (!(all_closed && !job.follow_due) && now < job.last_byte + options_.linger) continue;
    while (FollowLocked(job, now) == kReadBytes) {  // what was held back, at once
    }
    CloseAllLocked(job);
    if (listener_ != nullptr) listener_->Ended(job.source);
    job.done = true;
  }
}

}  // namespace toil::batch
