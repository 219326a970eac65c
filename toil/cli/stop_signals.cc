// Stopping on SIGINT, SIGTERM, SIGHUP or a request; see stop_signals.h.
#include "toil/cli/stop_signals.h"

#include <string.h>

#include <initializer_list>

#include "absl/strings/str_cat.h"

namespace toil::cli {

StopSignals::StopSignals() {
  sigemptyset(&signals_);
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals_, signal_number);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  watcher_ = std::thread([this] { Watch(); });
}

StopSignals::~StopSignals() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  watcher_.join();
}

void StopSignals::Watch() {
  const timespec tick{0, 100 * 1000 * 1000};
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (done_) return;
    }
    const int signal_number = sigtimedwait(&signals_, nullptr, &tick);
    if (signal_number <= 0) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (signal_number_ == 0 && why_.empty()) signal_number_ = signal_number;
    }
    Request(absl::StrCat("SIG", sigabbrev_np(signal_number)));
  }
}

void StopSignals::Request(std::string why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (why_.empty()) why_ = std::move(why);
  cv_.notify_all();
}

bool StopSignals::requested() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !why_.empty();
}

std::string StopSignals::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !why_.empty(); });
  return why_;
}

int StopSignals::signal_number() const {
  std::lock_guard<std::mutex> lock(mu_);
  return signal_number_;
}

}  // namespace toil::cli
