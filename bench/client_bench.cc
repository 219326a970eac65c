// Job-side cost of a log call, measured with Google Benchmark:
//   Disabled   RT_LOG below the level (one branch, arguments not evaluated)
//   Enabled    RT_LOG(INFO) << "x=" << i, the record accepted into the queue
//              (the queue is drained between timed stretches)
//   EnabledQueueFull  the same with the queue full (the record is counted)
//   SyncSendBaseline  what a synchronous logger pays: encode + send(2)
// The records go to a UDP socket of this process that nobody reads; the
// job's stderr copy goes to /dev/null.
//
//   bazel run -c opt //bench:client_bench -- --benchmark_repetitions=10
//   --benchmark_report_aggregates_only=true
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/typical_record.h"
#include "benchmark/benchmark.h"
#include "toil/rtlog/job/client.h"
#include "toil/rtlog/leader/ingest/udp_socket.h"
#include "toil/rtlog/rt_log.h"
#include "toil/rtlog/wire/record_encoder.h"

namespace toil::bench {
namespace {

// A bound UDP socket on loopback that nobody reads; its port.
int SinkPort() {
  static const int port = rtlog::internal::BindUdpSocket({{"127.0.0.1", 0, 0}})->address.port();
  return port;
}

void Configure() {
  static const bool configured = [] {
    setenv("TOIL_RT_LOGGING_ADDRESS", absl::StrCat("127.0.0.1:", SinkPort()).c_str(), 1);
    setenv("TOIL_RT_LOGGING_LEVEL", "INFO", 1);
    // The job's own copy of each record: not the terminal.
    const int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, STDERR_FILENO);
    return RT_LOG_IS_ON(INFO);
  }();
  (void)configured;
}

void BM_Disabled(benchmark::State& state) {
  Configure();
  int64_t i = 0;
  for (auto _ : state) {
    RT_LOG(DEBUG) << "x=" << i;
    ++i;
  }
  benchmark::DoNotOptimize(i);
}
BENCHMARK(BM_Disabled);

void BM_Enabled(benchmark::State& state) {
  Configure();
  auto& client = rtlog::internal::Client::Instance();
  const uint64_t full_before = client.stats().queue_full;
  int64_t i = 0;
  for (auto _ : state) {
    RT_LOG(INFO) << "x=" << i;
    if (++i % 1024 == 0) {
      // Keep the queue from filling: what is timed is the accepted path.
      state.PauseTiming();
      client.Flush();
      state.ResumeTiming();
    }
  }
  // After the loop the timer has stopped already.
  client.Flush();
  state.counters["queue_full"] = client.stats().queue_full - full_before;
}
BENCHMARK(BM_Enabled);
BENCHMARK(BM_Enabled)->Threads(2);
BENCHMARK(BM_Enabled)->Threads(8);

void BM_EnabledQueueFull(benchmark::State& state) {
  Configure();
  auto& client = rtlog::internal::Client::Instance();
  int64_t i = 0;
  for (auto _ : state) {
    RT_LOG(INFO) << "x=" << i;
    ++i;
  }
  client.Flush();
}
BENCHMARK(BM_EnabledQueueFull);

void BM_SyncSendBaseline(benchmark::State& state) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(SinkPort());
  connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  rtlog::LogRecord record = TypicalRecord();
  std::string json;
  int64_t i = 0;
  for (auto _ : state) {
    record.set_msg(absl::StrCat("x=", i++));
    record.set_created(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
    rtlog::internal::EncodeRecord(record, &json);
    benchmark::DoNotOptimize(send(fd, json.data(), json.size(), MSG_DONTWAIT));
  }
  close(fd);
}
BENCHMARK(BM_SyncSendBaseline);

}  // namespace
}  // namespace toil::bench

BENCHMARK_MAIN();
