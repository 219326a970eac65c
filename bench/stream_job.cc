// A job for the stream benchmarks: N records with RT_LOG from T threads,
// as fast as it can or, given RATE, paced at RATE records a second in all
// (the overflow policy comes from its environment), each record about as
// long as a typical C++ job's ("step <i> of <thread>: aligned 6354 reads in
// chunk 17, 0.42 s").
//
//   stream_job N [T] [RATE]
#include <cstdlib>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "toil/rtlog/rt_log.h"

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 1000000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  const double rate = argc > 3 ? std::atof(argv[3]) : 0;  // per thread: rate / threads
  const absl::Time start = absl::Now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([t, n, threads, rate, start] {
      for (long i = 0; i < n / threads; ++i) {
        // Paced in steps of 10 records: the schedule, not the sleeps, sets the rate.
        if (rate > 0 && i % 10 == 0) {
          const absl::Time due = start + absl::Seconds(i * threads / rate);
          if (due > absl::Now()) absl::SleepFor(due - absl::Now());
        }
        RT_LOG(INFO) << "step " << i << " of " << t << ": aligned 6354 reads in chunk 17, 0.42 s";
      }
    });
  }
  for (std::thread& w : workers) w.join();
  return 0;
}
