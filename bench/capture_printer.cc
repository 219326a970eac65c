// A job for bench/capture_latency: prints `count` lines on stdout at `rate`
// lines a second (on an absolute schedule), each "t=<ns> n=<k>" with the
// wall-clock time of its write, unbuffered.
//
//   capture_printer COUNT RATE
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: capture_printer COUNT RATE\n");
    return 2;
  }
  const long count = std::atol(argv[1]);
  const double rate = std::atof(argv[2]);
  timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  const long step_ns = static_cast<long>(1e9 / rate);
  char line[64];
  for (long k = 0; k < count; ++k) {
    next.tv_nsec += step_ns;
    while (next.tv_nsec >= 1000000000) {
      next.tv_nsec -= 1000000000;
      ++next.tv_sec;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    const int n = std::snprintf(line, sizeof(line), "t=%lld n=%ld\n",
                                static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec, k);
    if (write(STDOUT_FILENO, line, static_cast<size_t>(n)) != n) return 1;
  }
  return 0;
}
