// Job-side memory: how much resident memory the client adds to a job.
// Prints VmRSS before the first RT_LOG, then after logging steadily and after
// a burst that fills the queue, and the peak (VmHWM) growth.
//
//   bazel run -c opt //bench:client_memory
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "toil/rtlog/job/client.h"
#include "toil/rtlog/leader/ingest/udp_socket.h"
#include "toil/rtlog/rt_log.h"

namespace {

long StatusKb(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::string(field).size());
  }
  return -1;
}

}  // namespace

int main() {
  // A leader that never reads: the records are sent all the same.
  const int port = toil::rtlog::internal::BindUdpSocket({{"127.0.0.1", 0, 0}})->address.port();
  setenv("TOIL_RT_LOGGING_ADDRESS", absl::StrCat("127.0.0.1:", port).c_str(), 1);
  setenv("TOIL_RT_LOGGING_LEVEL", "INFO", 1);
  const int saved_stdout = dup(STDOUT_FILENO);
  const int null_fd = open("/dev/null", O_WRONLY);
  dup2(null_fd, STDERR_FILENO);  // the job's own copy of each record

  const long before = StatusKb("VmRSS:");
  const long peak_before = StatusKb("VmHWM:");
  // Steady: 20,000 records at about 10,000 per second.
  for (int i = 0; i < 20000; ++i) {
    RT_LOG(INFO) << "steady record " << i << " with some text to make it typical";
    if (i % 100 == 0) absl::SleepFor(absl::Milliseconds(10));
  }
  toil::rtlog::internal::Client::Instance().Flush();
  const long steady = StatusKb("VmRSS:");
  // Burst: as fast as one thread can, far more than the queue holds.
  for (int i = 0; i < 200000; ++i) {
    RT_LOG(INFO) << "burst record " << i << " with some text to make it typical";
  }
  toil::rtlog::internal::Client::Instance().Flush();
  absl::SleepFor(absl::Milliseconds(100));
  const long after_burst = StatusKb("VmRSS:");
  const long peak = StatusKb("VmHWM:");
  const auto stats = toil::rtlog::internal::Client::Instance().stats();
  const std::string report = absl::StrCat(
      "VmRSS before the first RT_LOG: ", before, " kB\n", "after 20,000 steady records:   ", steady,
      " kB (+", steady - before, " kB)\n", "after a 200,000-record burst:  ", after_burst, " kB (+",
      after_burst - before, " kB)\n", "peak (VmHWM) growth:           +", peak - peak_before,
      " kB\n", "records sent ", stats.sent, ", dropped at the full queue ", stats.queue_full, "\n");
  (void)!write(saved_stdout, report.data(), report.size());
  return 0;
}
