// What a leader outage costs a job: the wall time of a real job process
// (bench/outage_job: 20,000 steps of 50 us work + one record each) while
//   up       the leader receives,
//   stopped  nothing listens on the port (sends fail: connection refused),
//   frozen   the leader's socket exists but is never read (the kernel drops),
//   local    no leader address at all (records go to the job's stderr only).
// Modes run interleaved, 7 rounds; prints each mode's median and its ratio to
// "up". The bound: a stopped leader slows a job by at most 20%.
//
//   bazel run -c opt //bench:outage_bench
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "toil/rtlog/leader/ingest/dispatcher.h"
#include "toil/rtlog/leader/ingest/udp_server.h"
#include "toil/rtlog/leader/ingest/udp_socket.h"
#include "toil/rtlog/sinks/log_sink.h"

extern char** environ;

namespace {

using toil::rtlog::internal::BindUdpSocket;
using toil::rtlog::internal::Dispatcher;
using toil::rtlog::internal::UdpServer;
using toil::rtlog::internal::UdpServerOptions;

class CountingSink : public toil::rtlog::LogSink {
 public:
  void Send(const toil::rtlog::LogEntry&) override { ++count; }
  uint64_t count = 0;
};

constexpr char kSteps[] = "20000";
constexpr char kWorkMicros[] = "50";

std::string JobPath(const char* argv0) {
  const std::string self = argv0;
  return self.substr(0, self.rfind('/') + 1) + "outage_job";
}

// Runs the job with `address` ("" for none) and returns its wall time.
double RunJob(const std::string& job, const std::string& address) {
  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("TOIL_", 0) != 0) env_text.emplace_back(*e);
  }
  env_text.push_back("TOIL_RT_LOGGING_LEVEL=INFO");
  if (!address.empty()) env_text.push_back("TOIL_RT_LOGGING_ADDRESS=" + address);
  std::vector<char*> env;
  for (std::string& e : env_text) env.push_back(e.data());
  env.push_back(nullptr);
  std::vector<std::string> args_text = {job, kSteps, kWorkMicros};
  std::vector<char*> args;
  for (std::string& a : args_text) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  const absl::Time start = absl::Now();
  pid_t pid;
  if (posix_spawn(&pid, job.c_str(), &actions, nullptr, args.data(), env.data()) != 0) {
    std::perror("posix_spawn");
    std::exit(1);
  }
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  waitpid(pid, &status, 0);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "the job failed (status %d)\n", status);
    std::exit(1);
  }
  return seconds;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string job = JobPath(argv[0]);
  CountingSink sink;
  Dispatcher dispatcher({&sink});
  UdpServerOptions options;
  auto server = UdpServer::Start(options, &dispatcher);
  if (!server.ok()) return 1;
  const std::string up = (*server)->local_address().ToString();
  // A port nobody listens on.
  auto probe = BindUdpSocket({{"127.0.0.1", 0, 0}});
  const std::string stopped = probe->address.ToString();
  close(probe->fd);
  // A socket that is never read, with a small buffer.
  auto frozen_socket = BindUdpSocket({{"127.0.0.1", 0, 64 * 1024}});
  const std::string frozen = frozen_socket->address.ToString();

  const std::vector<std::pair<std::string, std::string>> modes = {
      {"up", up}, {"stopped", stopped}, {"frozen", frozen}, {"local", ""}};
  std::map<std::string, std::vector<double>> times;
  constexpr int kRounds = 7;
  for (int round = 0; round < kRounds; ++round) {
    for (const auto& [name, address] : modes) {
      times[name].push_back(RunJob(job, address));
    }
  }
  (*server)->Stop();
  std::printf("job: %s steps of %s us work + one record each; %d rounds\n", kSteps, kWorkMicros,
              kRounds);
  const double base = Median(times["up"]);
  for (const auto& [name, address] : modes) {
    const auto [min, max] = std::minmax_element(times[name].begin(), times[name].end());
    std::printf("%-8s median %.3f s (min %.3f, max %.3f)  ratio to up %.3f\n", name.c_str(),
                Median(times[name]), *min, *max, Median(times[name]) / base);
  }
  std::printf("records received while up: %llu of %d\n",
              static_cast<unsigned long long>(sink.count), kRounds * std::atoi(kSteps));
  return 0;
}
