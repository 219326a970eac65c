// Reading local jobs' output in the leader; see output_pump.h.
#include "toil/batch/output_pump.h"

#include <fcntl.h>
#include <poll.h>
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

OutputPump::OutputPump(absl::Duration linger) : linger_(linger) {}

OutputPump::~OutputPump() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  for (auto& [key, job] : jobs_) CloseAll(job);
  CloseIfOpen(wake_read_);
  CloseIfOpen(wake_write_);
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
    thread_ = std::thread([this] { Run(); });
  }
  Job job;
  job.source.key = key;
  for (int i = 0; i < kPipes; ++i) {
    int pipe_ends[2];
    if (pipe2(pipe_ends, O_CLOEXEC) != 0) {
      const int error = errno;
      CloseAll(job);
      return error;
    }
    fcntl(pipe_ends[0], F_SETFL, O_NONBLOCK);
    job.read_fds[i] = pipe_ends[0];
    job.child_fds[i] = pipe_ends[1];
  }
  job.log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (job.log_fd < 0) {
    const int error = errno;
    CloseAll(job);
    return error;
  }
  *ends = {job.child_fds[kOut], job.child_fds[kErr], job.child_fds[kCopy],
           rtlog::internal::DescribeCopyDescriptor(job.child_fds[kCopy], job.child_fds[kErr])};
  jobs_[key] = std::move(job);
  return 0;
}

void OutputPump::Started(OutputSource source) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = jobs_.find(source.key);
    if (found == jobs_.end()) return;
    Job& job = found->second;
    for (int& fd : job.child_fds) CloseIfOpen(fd);
    job.source = std::move(source);
    job.started = true;
  }
  Wake();
}

void OutputPump::Abandon(uint64_t key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = jobs_.find(key);
  if (found == jobs_.end()) return;
  CloseAll(found->second);
  jobs_.erase(found);
}

void OutputPump::ProcessEnded(uint64_t key) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = jobs_.find(key);
    if (found == jobs_.end() || found->second.process_ended) return;
    found->second.process_ended = true;
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

void OutputPump::CloseAll(Job& job) {
  for (int& fd : job.read_fds) CloseIfOpen(fd);
  for (int& fd : job.child_fds) CloseIfOpen(fd);
  CloseIfOpen(job.log_fd);
}

absl::Time OutputPump::WatchedLocked(std::vector<pollfd>* fds, std::vector<Watched>* watched) {
  fds->assign(1, {wake_read_, POLLIN, 0});
  watched->clear();
  absl::Time wake = listener_ != nullptr ? next_tick_ : absl::InfiniteFuture();
  for (const auto& [key, job] : jobs_) {
    if (!job.started || job.done) continue;
    for (const Pipe pipe : kReadOrder) {
      if (job.read_fds[pipe] < 0) continue;
      fds->push_back({job.read_fds[pipe], POLLIN, 0});
      watched->push_back({key, pipe});
    }
    if (job.process_ended) wake = std::min(wake, job.last_byte + linger_);
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
      for (size_t i = 0; i < watched.size(); ++i) {
        if (fds[i + 1].revents == 0) continue;
        auto found = jobs_.find(watched[i].key);
        if (found == jobs_.end()) continue;
        most = std::max(most, ReadLocked(found->second, watched[i].pipe, now));
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
  if (const int error = rtlog::internal::WriteFully(job.log_fd, bytes);
      error != 0 && !job.write_failed) {
    job.write_failed = true;
    rtlog::internal::WarnOnStderr(absl::StrCat("cannot write the output of job ", job.source.job,
                                               " to its log file: ", strerror(error),
                                               " (its lines still reach the leader)"));
  }
  if (pipe != kCopy && listener_ != nullptr) {
    listener_->Output(job.source, pipe == kOut ? OutputStream::kStdout : OutputStream::kStderr,
                      bytes, now);
  }
  if (job.process_ended) job.last_byte = now;
  return static_cast<size_t>(n);
}

void OutputPump::FinishLocked(absl::Time now) {
  for (auto& [key, job] : jobs_) {
    if (!job.started || !job.process_ended || job.done) continue;
    const bool all_closed =
        std::all_of(job.read_fds.begin(), job.read_fds.end(), [](int fd) { return fd < 0; });
    if (!all_closed && now < job.last_byte + linger_) continue;
    CloseAll(job);
    if (listener_ != nullptr) listener_->Ended(job.source);
    job.done = true;
  }
}

}  // namespace toil::batch
