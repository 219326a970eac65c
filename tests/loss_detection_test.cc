// Loss in transit, made visible: a real job process sends through a lossy
// UDP relay (a thread here that drops and duplicates datagrams, as a network
// might) to a real leader, which must count exactly what went missing and
// what came twice, and say so for the job.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "toil/rtlog/leader/ingest/udp_server.h"
#include "toil/rtlog/leader/ingest/udp_socket.h"
#include "toil/rtlog/wire/datagram_auth.h"

namespace toil::rtlog::internal {
namespace {

using ::testing::HasSubstr;

// Forwards datagrams to `to`, dropping the n-th when n % 10 == 5 and sending
// the n-th twice when n % 50 == 7 (n counts from 0).
class LossyRelay {
 public:
  explicit LossyRelay(const SocketAddress& to) {
    auto bound = BindUdpSocket({{"127.0.0.1", 0, 8 << 20}});
    EXPECT_TRUE(bound.ok()) << bound.status();
    in_ = bound->fd;
    address_ = bound->address;
    out_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(connect(out_, to.get(), to.length), 0);
    thread_ = std::thread([this] { Run(); });
  }
  ~LossyRelay() {
    stop_ = true;
    thread_.join();
    close(in_);
    close(out_);
  }
  const SocketAddress& address() const { return address_; }
  int dropped() const { return dropped_; }
  int duplicated() const { return duplicated_; }
  int seen() const { return seen_; }

 private:
  void Run() {
    std::vector<char> buffer(65536);
    while (!stop_) {
      pollfd p{in_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = recv(in_, buffer.data(), buffer.size(), 0);
      if (n < 0) continue;
      const int index = seen_++;
      if (index % 10 == 5) {
        ++dropped_;
        continue;
      }
      send(out_, buffer.data(), n, 0);
      if (index % 50 == 7) {
        ++duplicated_;
        send(out_, buffer.data(), n, 0);
      }
      // Pace: the relay must not itself overrun the leader.
      if (index % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  int in_ = -1;
  int out_ = -1;
  SocketAddress address_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> seen_{0};
  std::atomic<int> dropped_{0};
  std::atomic<int> duplicated_{0};
};

TEST(LossDetectionTest, RecordsLostOrDuplicatedInTransitAreCountedPerJob) {
  testing::CollectingSink sink;
  Dispatcher dispatcher({&sink});
  std::mutex mu;
  std::vector<std::string> lines;
  UdpServerOptions options;
  options.ingest.secret = *DatagramAuth::NewSecret();
  options.ingest.diagnostics = [&](absl::string_view line) {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(line);
  };
  auto server = UdpServer::Start(options, &dispatcher);
  ASSERT_TRUE(server.ok()) << server.status();
  LossyRelay relay((*server)->local_address());

  constexpr int kRecords = 1000;
  const testing::ProcessResult job =
      testing::RunProcess({testing::TestJob(), "count", absl::StrCat(kRecords)},
                          {{"TOIL_RT_LOGGING_ADDRESS", relay.address().ToString()},
                           {"TOIL_RT_LOGGING_LEVEL", "INFO"},
                           {"TOIL_RT_LOGGING_SECRET", options.ingest.secret},
                           {"TOIL_JOB_NAME", "lossy/1"}});
  ASSERT_EQ(job.exit_code, 0) << job.err;
  // Wait until the relay has passed everything on.
  ASSERT_TRUE(testing::WaitUntil([&] { return relay.seen() >= kRecords; }, absl::Seconds(30),
                                 "the relay to see every record"))
      << relay.seen() << " seen";
  ASSERT_EQ(relay.seen(), kRecords);
  ASSERT_TRUE(sink.WaitFor(kRecords - relay.dropped(), absl::Seconds(30)));
  (*server)->Stop();

  const LogStats stats = (*server)->stats();
  EXPECT_EQ(relay.dropped(), 100);
  EXPECT_EQ(relay.duplicated(), 20);
  EXPECT_EQ(stats.dropped, 0u);  // the kernel lost nothing: all loss is the relay's
  EXPECT_EQ(stats.lost, 100u);
  EXPECT_EQ(stats.duplicates, 20u);
  EXPECT_EQ(stats.forged + stats.unsigned_refused, 0u);
  EXPECT_EQ(sink.entries().size(), static_cast<size_t>(kRecords - 100));

  // The reports name the job, and their counts add up to the loss.
  uint64_t reported = 0;
  std::string all;
  for (const std::string& line : lines) {
    all += line + "\n";
    // "toil-rtlog: warning: N record(s) from lossy/1 ... lost in transit"
    constexpr absl::string_view kStart = "toil-rtlog: warning: ";
    if (line.find(" from lossy/1 ") != std::string::npos &&
        line.find("lost in transit") != std::string::npos) {
      const size_t end = line.find(' ', kStart.size());
      uint64_t n = 0;
      ASSERT_TRUE(absl::SimpleAtoi(line.substr(kStart.size(), end - kStart.size()), &n)) << line;
      reported += n;
    }
  }
  EXPECT_EQ(reported, 100u) << all;
  EXPECT_THAT(all, HasSubstr("100 records were lost in transit in all, from 1 sending process"));
  EXPECT_THAT(all, HasSubstr("from lossy/1 "));
  EXPECT_THAT(all, HasSubstr("dropped as duplicates (20 in all"));
}

}  // namespace
}  // namespace toil::rtlog::internal
