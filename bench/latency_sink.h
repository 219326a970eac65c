// A sink that notes how long each record took from its job's log call to
// the leader's sink: arrival time minus the record's own `created` time
// (meaningful when the job and the leader share a clock: one machine, or
// namespaces of it). Used by the latency benchmarks.
#ifndef BENCH_LATENCY_SINK_H_
#define BENCH_LATENCY_SINK_H_

#include <algorithm>
#include <mutex>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace toil::bench {

class LatencySink : public rtlog::LogSink {
 public:
  void Send(const rtlog::LogEntry& entry) override {
    const double micros = absl::ToDoubleMicroseconds(absl::Now() - entry.time());
    std::lock_guard<std::mutex> lock(mu_);
    micros_.push_back(micros);
  }
  // Every latency so far, in microseconds, smallest first.
  std::vector<double> Sorted() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<double> sorted = micros_;
    std::sort(sorted.begin(), sorted.end());
    return sorted;
  }

 private:
  std::mutex mu_;
  std::vector<double> micros_;
};

// The value below which a fraction `p` of `sorted` lies (0 when empty).
inline double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
}

}  // namespace toil::bench

#endif  // BENCH_LATENCY_SINK_H_
