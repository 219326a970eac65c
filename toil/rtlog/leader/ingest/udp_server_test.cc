// Tests of the leader's UDP server with real sockets: valid records among
// garbage, counted and rate-limited reports, and draining on stop.
#include "toil/rtlog/leader/ingest/udp_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "toil/rtlog/wire/record_encoder.h"

namespace toil::rtlog::internal {
namespace {

using ::toil::rtlog::LogEntry;
using ::toil::rtlog::LogSink;

using ::testing::HasSubstr;

using Sender = testing::UdpSender;

std::string ValidRecord(const std::string& msg) {
  LogRecord record;
  record.set_msg(msg);
  record.set_levelno(20);
  std::string json;
  EncodeRecord(record, &json);
  return json;
}

TEST(UdpServerTest, GarbageIsCountedAndReportedRateLimitedWithTheSender) {
  testing::CollectingSink sink;
  Dispatcher dispatcher({&sink});
  std::mutex mu;
  std::vector<std::string> lines;
  UdpServerOptions options;
  options.ingest.diagnostics = [&](absl::string_view line) {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(line);
  };
  auto server = UdpServer::Start(options, &dispatcher);
  ASSERT_TRUE(server.ok()) << server.status();
  Sender sender((*server)->local_address());
  const absl::Time start = absl::Now();
  sender.Send(ValidRecord("first"));
  for (int i = 0; i < 200; ++i) {
    sender.Send(i % 2 ? "{\"lineno\": \"x\"}" : "not json at all \x1b[31m");
  }
  sender.Send("");  // zero-length datagram
  sender.Send(ValidRecord("last"));
  ASSERT_TRUE(sink.WaitFor(2, absl::Seconds(30)));
  (*server)->Stop();
  const int64_t seconds = absl::ToInt64Seconds(absl::Now() - start);
  const LogStats stats = (*server)->stats();
  EXPECT_EQ(stats.records, 2u);
  EXPECT_EQ(stats.malformed, 201u);
  EXPECT_EQ(stats.datagrams, 203u);
  const auto entries = sink.entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].message, "first");
  EXPECT_EQ(entries[1].message, "last");
  EXPECT_EQ(entries[0].sender, sender.address());
  // One line at once, the rest summed up when the server stops: not one per
  // datagram. (At most one more line per second the test took: on a slow
  // machine the rate limit's interval can pass while datagrams arrive.)
  ASSERT_GE(lines.size(), 1u);
  EXPECT_LE(lines.size(), 3u + seconds);
  EXPECT_THAT(lines[0], HasSubstr("malformed datagram from " + sender.address()));
  EXPECT_THAT(lines.back(), HasSubstr("(201 in all)"));
  for (const std::string& line : lines) {
    EXPECT_EQ(line.find('\x1b'), std::string::npos) << "raw ESC in a report";
  }
}

TEST(UdpServerTest, StopReceivesWhatIsAlreadyQueued) {
  testing::CollectingSink sink;
  Dispatcher dispatcher({&sink});
  auto server = UdpServer::Start({}, &dispatcher);
  ASSERT_TRUE(server.ok());
  Sender sender((*server)->local_address());
  for (int i = 0; i < 500; ++i) sender.Send(ValidRecord("r"));
  (*server)->Stop();  // immediately: the datagrams sit in the socket buffer
  EXPECT_EQ(sink.entries().size(), 500u);
  EXPECT_EQ((*server)->stats().dropped, 0u);
}

TEST(UdpServerTest, KernelDropsAreCountedExactly) {
  testing::StalledSink sink;
  Dispatcher dispatcher({&sink});
  UdpServerOptions options;
  options.listen.receive_buffer_bytes = 64 * 1024;  // overflows quickly
  auto server = UdpServer::Start(options, &dispatcher);
  ASSERT_TRUE(server.ok());
  Sender sender((*server)->local_address());
  constexpr int kSent = 5000;
  for (int i = 0; i < kSent; ++i) sender.Send(ValidRecord(std::string(400, 'x')));
  sink.Release();
  // Everything sent is either delivered or counted as dropped by the kernel.
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        const LogStats stats = (*server)->stats();
        return stats.records + stats.dropped >= kSent;
      },
      absl::Seconds(30), "every datagram to be delivered or counted as dropped"));
  (*server)->Stop();
  const LogStats stats = (*server)->stats();
  EXPECT_GT(stats.dropped, 0u);
  EXPECT_EQ(stats.records + stats.dropped, static_cast<uint64_t>(kSent));
  EXPECT_EQ(static_cast<uint64_t>(sink.count()), stats.records);
  EXPECT_EQ(stats.malformed, 0u);
}

// The receive thread only receives: while a sink is stuck on one record, the
// datagrams after it are still taken off the socket (into the server's own
// bounded batches), and then delivered in order, none lost.
TEST(UdpServerTest, ReceivingGoesOnWhileASinkIsStalled) {
  testing::StalledSink stalled;
  testing::CollectingSink collected;
  Dispatcher dispatcher({&stalled, &collected});
  auto server = UdpServer::Start({}, &dispatcher);
  ASSERT_TRUE(server.ok());
  Sender sender((*server)->local_address());
  sender.Send(ValidRecord("0"));
  ASSERT_TRUE(testing::WaitUntil([&] { return (*server)->stats().datagrams == 1; },
                                 absl::Seconds(30), "the first datagram to be received"));
  // One at a time, each waited for: each is a batch of its own.
  for (int i = 1; i <= 5; ++i) {
    sender.Send(ValidRecord(std::to_string(i)));
    ASSERT_TRUE(testing::WaitUntil(
        [&] { return (*server)->stats().datagrams == static_cast<uint64_t>(i + 1); },
        absl::Seconds(30), "the datagram to be received while the sink is stalled"));
  }
  EXPECT_EQ(collected.entries().size(), 0u) << "the stalled sink comes first";
  stalled.Release();
  ASSERT_TRUE(collected.WaitFor(6, absl::Seconds(30)));
  (*server)->Stop();
  const auto entries = collected.entries();
  ASSERT_EQ(entries.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(entries[i].message, std::to_string(i));
  EXPECT_EQ((*server)->stats().dropped, 0u);
}

// The ring between the server's threads is sized from the socket buffer asked
// for (a quarter of it, at least room for two of the largest datagrams): with
// a small buffer and a sink stalled on the first record, the leader holds a
// few hundred datagrams at most, and the kernel drops, and the server counts,
// the rest, however fast the receive thread is.
TEST(UdpServerTest, ASmallReceiveBufferMeansASmallRing) {
  testing::StalledSink sink;
  Dispatcher dispatcher({&sink});
  UdpServerOptions options;
  options.listen.receive_buffer_bytes = 64 * 1024;
  auto server = UdpServer::Start(options, &dispatcher);
  ASSERT_TRUE(server.ok());
  Sender sender((*server)->local_address());
  constexpr uint64_t kSent = 2000;  // about 1.2 MB of ring room, were it unbounded
  for (uint64_t i = 0; i < kSent; ++i) sender.Send(ValidRecord(std::string(400, 'x')));
  sink.Release();
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        const LogStats stats = (*server)->stats();
        return stats.datagrams + stats.dropped >= kSent;
      },
      absl::Seconds(30), "every datagram to be received or counted as dropped"));
  (*server)->Stop();
  const LogStats stats = (*server)->stats();
  EXPECT_GT(stats.dropped, 0u);
  EXPECT_LT(stats.datagrams, 1000u) << "the leader held more than a small buffer and ring would";
  EXPECT_EQ(stats.datagrams + stats.dropped, kSent);
  EXPECT_EQ(sink.count(), stats.records);
}

TEST(UdpServerTest, ServersThatAskForItShareThePort) {
  testing::CollectingSink first_sink;
  testing::CollectingSink second_sink;
  Dispatcher first_dispatcher({&first_sink});
  Dispatcher second_dispatcher({&second_sink});
  UdpServerOptions options;
  options.reuse_port = true;
  auto first = UdpServer::Start(options, &first_dispatcher);
  ASSERT_TRUE(first.ok()) << first.status();
  options.listen.port = (*first)->local_address().port();
  auto second = UdpServer::Start(options, &second_dispatcher);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->local_address().port(), options.listen.port);
  // One that does not ask is refused the port, clearly.
  options.reuse_port = false;
  Dispatcher unused({});
  auto third = UdpServer::Start(options, &unused);
  ASSERT_FALSE(third.ok());
  EXPECT_THAT(std::string(third.status().message()), HasSubstr("Address already in use"));
  // Each sender's datagrams go to one of the two; together they get all.
  constexpr int kSenders = 16;
  for (int i = 0; i < kSenders; ++i) {
    Sender sender((*first)->local_address());
    sender.Send(ValidRecord(absl::StrCat("from sender ", i)));
  }
  const auto received = [&] { return first_sink.entries().size() + second_sink.entries().size(); };
  EXPECT_TRUE(testing::WaitUntil([&] { return received() == kSenders; }, absl::Seconds(30),
                                 "all 16 records to arrive at the two servers"));
  (*first)->Stop();
  (*second)->Stop();
  std::vector<std::string> messages;
  for (const auto* sink : {&first_sink, &second_sink}) {
    for (const auto& entry : sink->entries()) messages.push_back(entry.message);
  }
  std::vector<std::string> expected;
  for (int i = 0; i < kSenders; ++i) expected.push_back(absl::StrCat("from sender ", i));
  EXPECT_THAT(messages, ::testing::UnorderedElementsAreArray(expected));
  EXPECT_EQ((*first)->stats().records + (*second)->stats().records, uint64_t{kSenders});
}

TEST(UdpServerTest, BindFailureIsAClearError) {
  Dispatcher dispatcher({});
  UdpServerOptions options;
  options.listen.bind_host = "not-an-address";
  auto server = UdpServer::Start(options, &dispatcher);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("not-an-address"));
}

}  // namespace
}  // namespace toil::rtlog::internal
