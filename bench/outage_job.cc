// The job side of outage_bench: N steps of WORK_US microseconds of busy work,
// each followed by one RT_LOG(INFO) record. Configured from the environment
// like any job.
//
//   outage_job N WORK_US
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "toil/rtlog/rt_log.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: outage_job N WORK_US\n");
    return 2;
  }
  const int steps = std::atoi(argv[1]);
  const auto work = std::chrono::microseconds(std::atoi(argv[2]));
  volatile uint64_t sink = 0;
  for (int i = 0; i < steps; ++i) {
    const auto until = std::chrono::steady_clock::now() + work;
    while (std::chrono::steady_clock::now() < until) sink = sink + 1;
    RT_LOG(INFO) << "step " << i << " of " << steps;
  }
  return 0;
}
