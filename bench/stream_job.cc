// A job for stream_bench: N records with RT_LOG from T threads, as fast as
// it can (the overflow policy comes from its environment), each record
// about as long as a typical C++ job's ("step <i> of <thread>: aligned
// 6354 reads in chunk 17, 0.42 s").
//
//   stream_job N [T]
#include <cstdlib>
#include <thread>
#include <vector>

#include "toil/rtlog/rt_log.h"

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 1000000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([t, n, threads] {
      for (long i = 0; i < n / threads; ++i) {
        RT_LOG(INFO) << "step " << i << " of " << t << ": aligned 6354 reads in chunk 17, 0.42 s";
      }
    });
  }
  for (std::thread& w : workers) w.join();
  return 0;
}
