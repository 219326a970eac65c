// The leader's stream receiver under load and attack, over real TCP
// sockets: 2,000 authenticated job connections held open at once, garbage,
// peers that never finish a handshake, 10,000 connections opened and closed
// as fast as they can be; meanwhile a real job (tests/test_job.cc, a child
// process) delivers every record over its own stream.
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "toil/rtlog/leader/ingest/stream_receiver.h"
#include "toil/rtlog/leader/log_server.h"
#include "toil/rtlog/wire/record_encoder.h"
#include "toil/rtlog/wire/stream_frame.h"
#include "toil/rtlog/wire/stream_tls.h"

namespace toil::rtlog::internal {
namespace {

using ::toil::testing::CollectingSink;
using ::toil::testing::EnvChange;
using ::toil::testing::ProcessResult;
using ::toil::testing::RunProcess;
using ::toil::testing::Scaled;
using ::toil::testing::TestJob;
using ::toil::testing::WaitUntil;

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0)
      << std::strerror(errno);
  return fd;
}

int PortOf(const std::string& host_port) {
  return std::stoi(host_port.substr(host_port.rfind(':') + 1));
}

// A job's connection made by hand: the handshake, a hello and one record.
struct Client {
  int fd = -1;
  SSL* ssl = nullptr;
  ~Client() {
    if (ssl != nullptr) SSL_free(ssl);
    if (fd >= 0) close(fd);
  }
};

std::unique_ptr<Client> OpenWithOneRecord(int port, SSL_CTX* context, uint64_t stream) {
  auto client = std::make_unique<Client>();
  client->fd = Connect(port);
  client->ssl = SSL_new(context);
  SSL_set_fd(client->ssl, client->fd);
  if (SSL_connect(client->ssl) != 1) {
    ADD_FAILURE() << "handshake: " << TlsError();
    return client;
  }
  LogRecord record;
  record.set_msg(absl::StrCat("held ", stream));
  record.set_levelname("INFO");
  record.set_levelno(20);
  record.set_stream(stream);
  record.set_seq(1);
  std::string json;
  EncodeRecord(record, &json);
  std::string frames;
  AppendFrame(FrameType::kHello, 1, StreamIdBody(stream), &frames);
  AppendFrame(FrameType::kRecords, 1, json, &frames);
  EXPECT_EQ(SSL_write(client->ssl, frames.data(), static_cast<int>(frames.size())),
            static_cast<int>(frames.size()));
  return client;
}

// Whether the client's record was acknowledged.
bool Acknowledged(Client& client) {
  StreamFrameReader reader;
  char buffer[64];
  while (true) {
    const int n = SSL_read(client.ssl, buffer, sizeof(buffer));
    if (n <= 0) return false;
    reader.Add(absl::string_view(buffer, n));
    absl::StatusOr<std::optional<Frame>> frame = reader.Next();
    if (!frame.ok()) return false;
    if (frame->has_value()) return (*frame)->type == FrameType::kAck && (*frame)->number == 1;
  }
}

// Whether the leader closed `fd` within `timeout`.
bool ClosedByLeader(int fd, absl::Duration timeout) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(Scaled(timeout)))) <= 0) return false;
  char byte;
  return recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

// Runs a real job, "real", that logs `records` with the leader's variables
// `env`: it ends well and says nothing of trouble.
void ExpectARealJobServed(const std::map<std::string, std::string>& env, int records) {
  std::vector<EnvChange> job_env;
  for (const auto& [name, value] : env) job_env.push_back({name, value});
  job_env.push_back({"TOIL_JOB_NAME", "real"});
  const ProcessResult job =
      RunProcess({TestJob(), "count", std::to_string(records)}, job_env, absl::Seconds(120));
  ASSERT_EQ(job.exit_code, 0) << job.err;
  EXPECT_THAT(job.err, ::testing::Not(::testing::HasSubstr("warning")));
}

TEST(StreamHostileTest, ThousandsOfConnectionsAndGarbageLeaveTheRealJobServed) {
  constexpr int kHeld = 2000;
  if (RaiseOpenFileLimit() < 2 * kHeld + 500) {
    TOIL_SKIP_OR_FAIL_UNDER_CI(
        "the hard limit on open files is below what 2,000 connections "
        "at both ends take");
  }
  signal(SIGPIPE, SIG_IGN);
  CollectingSink sink;
  absl::StatusOr<std::unique_ptr<LogServer>> server =
      LogServer::Start({.level = Level::kDebug, .control = "off"}, {&sink});
  ASSERT_TRUE(server.ok()) << server.status();
  std::map<std::string, std::string> env = (*server)->JobEnvironment();
  const int port = PortOf(env.at("TOIL_RT_LOGGING_STREAM"));
  auto tls = StreamTlsContext::Create(env.at("TOIL_RT_LOGGING_SECRET"), StreamTlsContext::kClient);
  ASSERT_TRUE(tls.ok());

  // Peers that say nothing, and garbage.
  std::vector<int> silent;
  for (int i = 0; i < 20; ++i) silent.push_back(Connect(port));
  std::vector<int> garbage;
  for (int i = 0; i < 50; ++i) {
    garbage.push_back(Connect(port));
    const std::string junk = absl::StrCat("GET / HTTP/1.1\r\nHost: leader ", i, "\r\n\r\n");
    ASSERT_EQ(send(garbage.back(), junk.data(), junk.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(junk.size()));
  }
  // Opened and closed as fast as can be.
  for (int i = 0; i < 10000; ++i) close(Connect(port));

  // 2,000 jobs' connections, held open.
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < kHeld; ++i) held.push_back(OpenWithOneRecord(port, (*tls)->get(), 1000 + i));
  int acknowledged = 0;
  for (auto& client : held) acknowledged += Acknowledged(*client);
  EXPECT_EQ(acknowledged, kHeld);

  // A real job, meanwhile.
  ASSERT_NO_FATAL_FAILURE(ExpectARealJobServed(env, 5000));
  EXPECT_TRUE(sink.WaitFor(kHeld + 5000, absl::Seconds(60)));

  for (int fd : garbage) EXPECT_TRUE(ClosedByLeader(fd, absl::Seconds(10)));
  for (int fd : silent) EXPECT_TRUE(ClosedByLeader(fd, absl::Seconds(30)));  // 10 s, scaled
  std::set<std::string> real;
  for (const CollectingSink::Entry& entry : sink.entries()) {
    if (entry.record.job() == "real") real.insert(entry.message);
  }
  EXPECT_EQ(real.size(), 5000u);
  const LogStats stats = (*server)->Stop();
  EXPECT_GE(stats.stream_connections, 10000u + kHeld + 1);
  // Each one that never shook hands is counted: refused (garbage, silence,
  // the limit) or, when its peer closed it first, cut short.
  EXPECT_GE(stats.stream_refused + stats.stream_cut_short, 10000u + 50 + 20);
  EXPECT_GE(stats.stream_refused, 50u + 20u);
  EXPECT_GT(stats.stream_cut_short, 0u);
  for (int fd : silent) close(fd);
  for (int fd : garbage) close(fd);
}

// Peers that take every place and never shake hands: a job that comes
// next is let in at once, in place of the oldest of them, not after their
// handshakes time out.
TEST(StreamHostileTest, SilentPeersHoldingEveryPlaceCannotKeepAJobOut) {
  constexpr int kPlaces = 20;
  CollectingSink sink;
  absl::StatusOr<std::unique_ptr<LogServer>> server = LogServer::Start(
      {.level = Level::kDebug, .max_stream_connections = kPlaces, .control = "off"}, {&sink});
  ASSERT_TRUE(server.ok()) << server.status();
  std::map<std::string, std::string> env = (*server)->JobEnvironment();
  const int port = PortOf(env.at("TOIL_RT_LOGGING_STREAM"));
  std::vector<int> silent;
  for (int i = 0; i < kPlaces; ++i) silent.push_back(Connect(port));
  ASSERT_TRUE(WaitUntil([&] { return (*server)->stats().stream_connections >= kPlaces; },
                        absl::Seconds(30), "the silent peers accepted"));

  ASSERT_NO_FATAL_FAILURE(ExpectARealJobServed(env, 100));
  EXPECT_TRUE(sink.WaitFor(100, absl::Seconds(60)));
  EXPECT_TRUE(ClosedByLeader(silent[0], absl::Seconds(10)));  // the oldest made room
  const LogStats stats = (*server)->Stop();
  // The job's first connection was its only one: it was not closed and
  // made again while the silent peers waited out their handshakes.
  EXPECT_EQ(stats.stream_connections, kPlaces + 1u);
  for (int fd : silent) close(fd);
}

}  // namespace
}  // namespace toil::rtlog::internal
