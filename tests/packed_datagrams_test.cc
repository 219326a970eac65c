// Packed datagrams end to end: a real job process told that its leader reads
// them sends many records per datagram, every one arrives, in order and
// signed; told nothing (a Python leader's environment), it sends one record
// per datagram. Loss, duplicates and forgery are still judged per record and
// per datagram as before.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "toil/rtlog/base/environment.h"
#include "toil/rtlog/leader/ingest/dispatcher.h"
#include "toil/rtlog/leader/ingest/udp_server.h"
#include "toil/rtlog/leader/log_server.h"
#include "toil/rtlog/wire/datagram_auth.h"
#include "toil/rtlog/wire/record_encoder.h"

namespace toil::rtlog {
namespace {

using testing::CollectingSink;

using testing::TestJob;

// Runs `test_job count N` with the server's environment for jobs.
void RunJob(const LogServer& server, int records) {
  std::vector<testing::EnvChange> env = {{kJobNameVariable, "packer"}};
  for (const auto& [name, value] : server.JobEnvironment()) env.push_back({name, value});
  const testing::ProcessResult job =
      testing::RunProcess({TestJob(), "count", absl::StrCat(records)}, env);
  ASSERT_EQ(job.exit_code, 0) << job.err;
}

void ExpectAllInOrder(const CollectingSink& sink, int records) {
  const std::vector<CollectingSink::Entry> entries = sink.entries();
  ASSERT_EQ(entries.size(), static_cast<size_t>(records));
  for (int i = 0; i < records; ++i) {
    EXPECT_EQ(entries[i].message, absl::StrCat("record ", i));
    EXPECT_EQ(entries[i].record.seq(), static_cast<uint64_t>(i + 1));
    EXPECT_EQ(entries[i].authenticity, Authenticity::kSigned);
  }
}

TEST(PackedDatagramsTest, AJobToldByItsLeaderPacksAndEveryRecordArrives) {
  CollectingSink sink;
  // Datagrams only: a leader's stream would carry them instead.
  auto server = LogServer::Start({.stream = false, .control = "off"}, {&sink});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->JobEnvironment().at(kPackedVariable), "8192");
  const int records = 10000;  // as many as the job's queue holds at once
  RunJob(**server, records);
  ASSERT_TRUE(sink.WaitFor(records, absl::Seconds(60)));
  const LogStats stats = (*server)->Stop();
  ExpectAllInOrder(sink, records);
  EXPECT_EQ(stats.lost, 0u);
  EXPECT_EQ(stats.forged, 0u);
  // About 40 records of ~200 bytes fit in 8 KB; a job that logs faster than
  // its sender sends packs most of them.
  EXPECT_LT(stats.datagrams, static_cast<uint64_t>(records) / 4) << stats.datagrams;
}

TEST(PackedDatagramsTest, WithoutTheVariableEachRecordIsADatagram) {
  CollectingSink sink;
  auto server =
      LogServer::Start({.packed_datagram_bytes = 0, .stream = false, .control = "off"}, {&sink});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->JobEnvironment().count(kPackedVariable), 0u);
  const int records = 2000;
  RunJob(**server, records);
  ASSERT_TRUE(sink.WaitFor(records, absl::Seconds(60)));
  const LogStats stats = (*server)->Stop();
  ExpectAllInOrder(sink, records);
  EXPECT_EQ(stats.datagrams, static_cast<uint64_t>(records));
}

TEST(PackedDatagramsTest, ABadSizeIsRefusedSayingWhatIsAllowed) {
  auto server = LogServer::Start({.packed_datagram_bytes = 100, .control = "off"});
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()),
              ::testing::HasSubstr("use 0 (none) or 1024 to 65507"));
}

// Hand-made datagrams, to a server checking signatures.
class HandMadeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    secret_ = *internal::DatagramAuth::NewSecret();
    auth_ = *internal::DatagramAuth::FromSecret(secret_);
    internal::UdpServerOptions options;
    options.ingest.secret = secret_;
    options.ingest.diagnostics = [](absl::string_view) {};
    auto server = internal::UdpServer::Start(options, &dispatcher_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    sender_ = std::make_unique<testing::UdpSender>(server_->local_address());
  }

  // Records seq `first`..`last` of one stream, packed and signed.
  std::string Packed(int first, int last) {
    std::string datagram;
    for (int seq = first; seq <= last; ++seq) {
      LogRecord record;
      record.set_msg(absl::StrCat("m", seq));
      record.set_stream(77);
      record.set_seq(seq);
      std::string json;
      internal::EncodeRecord(record, &json);
      if (!datagram.empty()) datagram.push_back('\n');
      datagram += json;
    }
    auth_->Sign(&datagram);
    return datagram;
  }

  LogStats Stop() {
    server_->Stop();
    dispatcher_.Flush();
    return server_->stats();
  }

  CollectingSink sink_;
  internal::Dispatcher dispatcher_{{&sink_}};
  std::string secret_;
  std::unique_ptr<internal::DatagramAuth> auth_;
  std::unique_ptr<internal::UdpServer> server_;
  std::unique_ptr<testing::UdpSender> sender_;
};

TEST_F(HandMadeTest, LossAndDuplicatesAreCountedPerRecord) {
  sender_->Send(Packed(1, 3));
  sender_->Send(Packed(6, 8));  // 4 and 5 lost
  sender_->Send(Packed(6, 8));  // a replay: three duplicates
  ASSERT_TRUE(sink_.WaitFor(6, absl::Seconds(30)));
  const LogStats stats = Stop();
  EXPECT_EQ(stats.datagrams, 3u);
  EXPECT_EQ(stats.records, 6u);
  EXPECT_EQ(stats.lost, 2u);
  EXPECT_EQ(stats.duplicates, 3u);
}

TEST_F(HandMadeTest, ATamperedPackIsRefusedWhole) {
  std::string tampered = Packed(1, 3);
  tampered[tampered.find("m1")] = 'x';  // in the first record, before the signature
  sender_->Send(tampered);
  sender_->Send(Packed(4, 4));
  ASSERT_TRUE(sink_.WaitFor(1, absl::Seconds(30)));
  const LogStats stats = Stop();
  EXPECT_EQ(stats.forged, 1u);
  EXPECT_EQ(stats.records, 1u);
  EXPECT_EQ(sink_.entries()[0].message, "m4");
}

}  // namespace
}  // namespace toil::rtlog
