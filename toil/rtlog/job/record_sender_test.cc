// The sender's work, against a real UDP socket: each record is a line on
// the job's stderr and a numbered record in a datagram (packed, signed as
// configured); a leader that does not listen costs counts, not records.
#include "toil/rtlog/job/record_sender.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "toil/rtlog/wire/datagram_auth.h"
#include "toil/rtlog/wire/packed_datagram.h"

namespace toil::rtlog::internal {
namespace {

// A UDP socket on 127.0.0.1, for the sender to send to.
struct Receiver {
  Receiver() {
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    socklen_t length = sizeof(address);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
  }
  ~Receiver() {
    if (reader.joinable()) reader.join();
    close(fd);
  }
  // Reads, on a thread of its own, every datagram that arrives until none
  // has for 2 s, counting the records in them.
  void Start() {
    reader = std::thread([this] {
      pollfd p = {fd, POLLIN, 0};
      while (poll(&p, 1, 2000) == 1) {
        char buffer[65536];
        const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        all.emplace_back(buffer, static_cast<size_t>(n));
        ForEachPackedRecord(all.back(), [this](size_t, size_t) { records.fetch_add(1); });
      }
    });
  }
  // Waits until `n` records arrived (a test sends no more than the socket's
  // buffer holds before the reader has taken them).
  void WaitForRecords(int n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (records.load() < n && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  }
  std::vector<std::string> Datagrams() {
    if (reader.joinable()) reader.join();
    return all;
  }
  int fd;
  int port;
  std::thread reader;
  std::vector<std::string> all;
  std::atomic<int> records{0};
};

// What the sender writes to stderr while `f` runs.
template <typename F>
std::string Stderr(F f) {
  int fds[2];
  EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
  const int saved = dup(STDERR_FILENO);
  dup2(fds[1], STDERR_FILENO);
  f();
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fds[1]);
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof(buffer))) > 0) text.append(buffer, n);
  close(fds[0]);
  return text;
}

ClientConfig Config(int port, size_t packed, const std::string& secret) {
  ClientConfig config;
  config.threshold = Level::kInfo;
  config.realtime = true;
  config.leader = HostPort{"127.0.0.1", port};
  config.job_name = "job-1";
  config.secret = secret;
  config.packed_bytes = packed;
  return config;
}

// Records `first` to `last`, then Send.
void SendRecords(RecordSender& sender, int first, int last) {
  for (int i = first; i <= last; ++i) {
    QueuedRecord queued;
    queued.level = Level::kWarning;
    queued.line = i;
    queued.file = "src/align.cc";
    const std::string text = absl::StrCat("record ", i);
    queued.original_size = static_cast<uint32_t>(text.size());
    sender.Add(queued, text);
  }
  sender.Send();
}

TEST(RecordSenderTest, EachRecordIsALineAndANumberedRecordInAPackedSignedDatagram) {
  Receiver leader;
  leader.Start();
  const std::string secret = *DatagramAuth::NewSecret();
  std::unique_ptr<DatagramAuth> auth = *DatagramAuth::FromSecret(secret);
  RecordSender sender;
  const std::string err = Stderr([&] {
    sender.Configure(Config(leader.port, 8192, secret), {"job-1", 0});
    for (int first = 1; first <= 300; first += 50) {
      SendRecords(sender, first, first + 49);
      leader.WaitForRecords(first + 49);
    }
  });
  EXPECT_EQ(sender.counts().sent, 300u);
  EXPECT_EQ(sender.counts().send_failed, 0u);
  EXPECT_TRUE(absl::StrContains(err, "WARNING  align.cc:1: record 1\n")) << err;
  EXPECT_TRUE(absl::StrContains(err, "align.cc:300: record 300\n"));
  const std::vector<std::string> datagrams = leader.Datagrams();
  EXPECT_LT(datagrams.size(), 20u);  // packed
  int next = 1;
  for (const std::string& datagram : datagrams) {
    EXPECT_EQ(auth->Verify(datagram), DatagramAuth::Verdict::kSigned);
    ForEachPackedRecord(datagram, [&](size_t offset, size_t size) {
      const absl::string_view record(datagram.data() + offset, size);
      EXPECT_TRUE(absl::StrContains(record, absl::StrCat("\"msg\":\"record ", next, "\"")))
          << record;
      EXPECT_TRUE(absl::StrContains(record, absl::StrCat("\"seq\":", next, ",")));
      EXPECT_TRUE(absl::StrContains(record, "\"job\":\"job-1\""));
      ++next;
    });
  }
  EXPECT_EQ(next, 301);
}

TEST(RecordSenderTest, OneRecordPerDatagramForALeaderThatReadsNoPacking) {
  Receiver leader;
  leader.Start();
  RecordSender sender;
  Stderr([&] {
    sender.Configure(Config(leader.port, 0, ""), {"job-1", 0});
    for (int first = 1; first <= 100; first += 25) {
      SendRecords(sender, first, first + 24);
      leader.WaitForRecords(first + 24);
    }
  });
  EXPECT_EQ(leader.Datagrams().size(), 100u);
}

TEST(RecordSenderTest, ALeaderNotListeningCostsCountsAndAWarning) {
  int port;
  {
    Receiver gone;  // a port nobody listens on once it is closed
    port = gone.port;
  }
  RecordSender sender;
  const std::string err = Stderr([&] {
    sender.Configure(Config(port, 0, ""), {"job-1", 0});
    for (int round = 0; round < 3; ++round) SendRecords(sender, 1, 10);
  });
  // Every record is still in the job's own log.
  EXPECT_TRUE(absl::StrContains(err, "record 10\n"));
  EXPECT_EQ(sender.counts().sent + sender.counts().send_failed, 30u);
  EXPECT_GT(sender.counts().send_failed, 0u);
  EXPECT_TRUE(absl::StrContains(err, "cannot send to the leader at 127.0.0.1:")) << err;
}

}  // namespace
}  // namespace toil::rtlog::internal
