// What the delivery tests check; see delivery_checks.h.
#include "tests/delivery_checks.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"

namespace toil::testing {

std::vector<google::protobuf::Struct> ReadJsonLines(const std::string& path) {
  std::vector<google::protobuf::Struct> objects;
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
    google::protobuf::Struct object;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line), &object).ok())
        << line;
    objects.push_back(std::move(object));
  }
  return objects;
}

std::string StringField(const google::protobuf::Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  return it == object.fields().end() ? "" : it->second.string_value();
}

std::map<int, int> Counts(const std::string& jsonl, const std::string& prefix) {
  std::map<int, int> counts;
  const std::string key = absl::StrCat("\"message\":\"", prefix);
  for (absl::string_view line : absl::StrSplit(jsonl, '\n')) {
    const size_t at = line.find(key);
    if (at == absl::string_view::npos) continue;
    absl::string_view rest = line.substr(at + key.size());
    rest = rest.substr(0, rest.find('"'));
    int n = 0;
    if (absl::SimpleAtoi(rest, &n)) ++counts[n];
  }
  return counts;
}

std::map<std::string, std::map<int, int>> CountsByJob(const std::string& jsonl,
                                                      const std::string& prefix) {
  std::map<std::string, std::map<int, int>> by_job;
  for (absl::string_view line : absl::StrSplit(jsonl, '\n', absl::SkipEmpty())) {
    const size_t at = line.find("\"job\":\"");
    absl::string_view job;
    if (at != absl::string_view::npos) {
      job = line.substr(at + 7);
      job = job.substr(0, job.find('"'));
    }
    std::map<int, int>& counts = by_job[std::string(job)];
    for (const auto& [n, count] : Counts(std::string(line), prefix)) counts[n] += count;
  }
  return by_job;
}

::testing::AssertionResult ExactlyOnce(const std::map<int, int>& counts, int n) {
  int missing = 0;
  int repeated = 0;
  for (int i = 0; i < n; ++i) {
    auto found = counts.find(i);
    if (found == counts.end()) {
      ++missing;
    } else if (found->second > 1) {
      ++repeated;
    }
  }
  if (missing == 0 && repeated == 0 && counts.size() == static_cast<size_t>(n)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << missing << " of " << n << " missing, " << repeated
                                       << " repeated, " << counts.size() << " distinct";
}

std::vector<EnvChange> StreamJobEnv(const Serve& serve, const std::string& job) {
  std::vector<EnvChange> env = serve.JobEnv(job);
  env.push_back({"TOIL_RT_LOGGING_STREAM", serve.exports().at("TOIL_RT_LOGGING_STREAM")});
  return env;
}

int PortOf(const std::string& host_port) {
  int port = 0;
  EXPECT_TRUE(absl::SimpleAtoi(host_port.substr(host_port.rfind(':') + 1), &port)) << host_port;
  return port;
}

int LoopbackListener(int* port) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(listener, 16) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "cannot listen on 127.0.0.1: " << std::strerror(errno);
    if (listener >= 0) close(listener);
    return -1;
  }
  *port = ntohs(address.sin_port);
  return listener;
}

int PortFreeForBoth() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    int port = 0;
    if (bind(udp, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
        getsockname(udp, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
        bind(tcp, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
      port = ntohs(address.sin_port);
    }
    close(udp);
    close(tcp);
    if (port != 0) return port;
  }
  ADD_FAILURE() << "no port free for both UDP and TCP in 100 tries";
  return 0;
}

std::unique_ptr<LossyNamespace> LossyNamespace::Make(int percent, std::string* why) {
  if (geteuid() != 0) {
    *why = "needs root, to make a network namespace";
    return nullptr;
  }
  if (access("/usr/sbin/nft", X_OK) != 0) {
    *why = "needs nft (package nftables; scripts/install-deps.sh)";
    return nullptr;
  }
  const std::string ns = absl::StrCat("rtlog-drop-", getpid());
  std::unique_ptr<LossyNamespace> made(new LossyNamespace(ns));
  for (const std::vector<std::string>& step : std::vector<std::vector<std::string>>{
           {"/usr/sbin/ip", "netns", "add", ns},
           {"/usr/sbin/ip", "netns", "exec", ns, "/usr/sbin/ip", "link", "set", "lo", "up"},
           {"/usr/sbin/ip", "netns", "exec", ns, "/usr/sbin/nft", "add table inet lossy"},
           {"/usr/sbin/ip", "netns", "exec", ns, "/usr/sbin/nft",
            "add chain inet lossy in { type filter hook input priority 0; }"},
           {"/usr/sbin/ip", "netns", "exec", ns, "/usr/sbin/nft",
            absl::StrCat("add rule inet lossy in iifname \"lo\" numgen random mod 100 < ", percent,
                         " drop")}}) {
    const ProcessResult done = RunProcess(step);
    if (done.exit_code != 0) {
      *why = absl::StrCat(absl::StrJoin(step, " "), ": ", done.err);
      return nullptr;
    }
  }
  return made;
}

LossyNamespace::~LossyNamespace() { RunProcess({"/usr/sbin/ip", "netns", "del", name_}); }

}  // namespace toil::testing
