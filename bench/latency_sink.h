// A sink that notes how long each record took from its job's log call to
// the leader's sink: arrival time minus the record's own `created` time
// (meaningful when the job and the leader share a clock: one machine, or
// namespaces of it), or minus the start another benchmark reads from the
// record. Used by the latency benchmarks, with MedianAndRange for their
// summaries.
#ifndef BENCH_LATENCY_SINK_H_
#define BENCH_LATENCY_SINK_H_

#include <algorithm>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace toil::bench {

class LatencySink : public rtlog::LogSink {
 public:
  // When a record started its way; nullopt: not one to measure.
  using StartOf = std::function<std::optional<absl::Time>(const rtlog::LogEntry&)>;
  // By default, the record's own time.
  explicit LatencySink(StartOf start_of =
                           [](const rtlog::LogEntry& entry) {
                             return std::optional<absl::Time>(entry.time());
                           })
      : start_of_(std::move(start_of)) {}

  void Send(const rtlog::LogEntry& entry) override {
    const std::optional<absl::Time> start = start_of_(entry);
    if (!start) return;
    const double micros = absl::ToDoubleMicroseconds(absl::Now() - *start);
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
  StartOf start_of_;
  std::mutex mu_;
  std::vector<double> micros_;
};

// The value below which a fraction `p` of `sorted` lies (0 when empty).
inline double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
}

// Where a run's latencies lie (microseconds).
struct Spread {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};
inline Spread SpreadOf(const std::vector<double>& sorted) {
  return {Percentile(sorted, 0.5), Percentile(sorted, 0.9), Percentile(sorted, 0.99),
          sorted.empty() ? 0 : sorted.back()};
}

// "median (smallest-largest)" of `v`, with `decimals` decimals.
inline std::string MedianAndRange(std::vector<double> v, int decimals) {
  if (v.empty()) return "-";
  std::sort(v.begin(), v.end());
  return absl::StrFormat("%.*f (%.*f-%.*f)", decimals, v[v.size() / 2], decimals, v.front(),
                         decimals, v.back());
}

}  // namespace toil::bench

#endif  // BENCH_LATENCY_SINK_H_
