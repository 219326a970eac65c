// The leader under hostile input, over real UDP sockets: garbage of every
// kind mixed with valid records, and datagrams that are unsigned, forged,
// tampered with, replayed or signed for another run. Every valid record is
// delivered, in order; every invalid one is counted; warnings are
// rate-limited; nothing reaches the terminal raw.
#include <fcntl.h>
#include <unistd.h>

#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "toil/rtlog/leader/ingest/sender_table.h"
#include "toil/rtlog/leader/ingest/udp_server.h"
#include "toil/rtlog/sinks/terminal_sink.h"
#include "toil/rtlog/wire/datagram_auth.h"
#include "toil/rtlog/wire/datagram_fit.h"
#include "toil/rtlog/wire/record_decoder.h"
#include "toil/rtlog/wire/record_encoder.h"

namespace toil::rtlog::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Record(const std::string& msg, uint64_t stream = 0, uint64_t seq = 0) {
  LogRecord record;
  record.set_msg(msg);
  record.set_levelname("INFO");
  record.set_levelno(20);
  record.set_job("job/1");
  record.set_hostname("node1");
  record.set_process(42);
  record.set_stream(stream);
  record.set_seq(seq);
  std::string json;
  EncodeRecord(record, &json);
  return json;
}

// Warnings from the server, kept for the test to look at.
struct Diagnostics {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(absl::string_view)> Sink() {
    return [this](absl::string_view line) {
      std::lock_guard<std::mutex> lock(mu);
      lines.emplace_back(line);
    };
  }
  std::vector<std::string> Get() {
    std::lock_guard<std::mutex> lock(mu);
    return lines;
  }
};

// Each of these must be refused as malformed.
std::vector<std::string> Garbage() {
  std::vector<std::string> g;
  std::mt19937 rng(5);
  for (int i = 0; i < 100; ++i) {  // random bytes
    std::string bytes(1 + rng() % 2000, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (bytes[0] == '{' || bytes[0] == ' ') bytes[0] = 'x';
    g.push_back(bytes);
  }
  const std::string valid = Record("truncated");
  for (size_t cut : {size_t{1}, size_t{7}, valid.size() / 2, valid.size() - 1}) {
    g.push_back(valid.substr(0, cut));
  }
  // Numbers out of range, and of the wrong kind.
  g.push_back(R"({"msg":"x","levelno":2147483648})");
  g.push_back(R"({"msg":"x","levelno":1e400})");
  g.push_back(R"({"msg":"x","thread":-1})");
  g.push_back(R"({"msg":"x","thread":18446744073709551616})");
  g.push_back(R"({"msg":"x","seq":-5})");
  g.push_back(R"({"msg":"x","lineno":1.5})");
  // Deep nesting: far past the limit (as deep as a datagram allows), and
  // just past it.
  g.push_back(R"({"msg":"x","args":)" + std::string(32000, '[') + std::string(32000, ']') + "}");
  g.push_back(R"({"msg":"x","args":)" + std::string(RecordDecoder::kMaxDepth + 1, '[') +
              std::string(RecordDecoder::kMaxDepth + 1, ']') + "}");
  g.push_back(R"({"unknown":)" + std::string(5000, '{') + "}");
  // Invalid UTF-8, lone surrogates, raw NUL and control bytes in strings.
  g.push_back("{\"msg\":\"\xff\xfe\"}");
  g.push_back("{\"msg\":\"\xc0\xaf\"}");
  g.push_back("{\"msg\":\"\xed\xa0\x80\"}");
  g.push_back(R"({"msg":"\ud800"})");
  g.push_back(std::string("{\"msg\":\"a\0b\"}", 12));
  g.push_back(std::string("{\"msg\":\"x\"}\0", 12));
  g.push_back("{\"msg\":\"bell\x07\"}");
  // Wrong types.
  g.push_back(R"({"msg":"x","levelno":"abc"})");
  g.push_back(R"({"msg":"x","created":[]})");
  g.push_back(R"({"name":5})");
  g.push_back(R"({"lineno":{}})");
  g.push_back(R"({"msg":"x","exc_text":true})");
  // Not one object.
  for (const char* text : {"[]", "\"text\"", "42", "null", "{}{}", "{\"msg\":\"x\"} trailing",
                           "{\"msg\":\"x\",}", "{\"msg\" \"x\"}"}) {
    g.push_back(text);
  }
  g.push_back("");                                   // zero-length
  g.push_back(std::string(kMaxDatagramBytes, '{'));  // as large as UDP allows
  std::string big_invalid = Record(std::string(kMaxDatagramBytes - 400, 'z'));
  big_invalid.pop_back();  // 64 KB, one byte short of valid
  g.push_back(big_invalid);
  return g;
}

// Odd, but valid: each must be delivered.
std::vector<std::string> OddButValid() {
  return {
      R"({"msg":"nul \u0000 inside, escape \u001b[2J, bidi \u202e"})",
      R"({"msg":{"an":"object"},"args":null})",  // Python jobs may log objects
      R"({"msg":"x","unknown":{"deep":[[[1,2,{"k":null}]]]},"another":-1e300})", R"({})",
      R"({"msg":"x","levelno":"20","thread":"18446744073709551615"})", R"(  {"msg" : "spaced"}  )",
      // What Python's json.dumps writes for float('nan'), the infinities
      // and integers beyond a double.
      R"({"msg":"%s %s %s %d","args":[NaN,Infinity,-Infinity,)" + std::string(400, '7') + "]}",
      Record(std::string(kMaxDatagramBytes - 600, 'y')),  // 64 KB and valid
  };
}

TEST(HostileInputTest, GarbageIsCountedAndEveryValidRecordDelivered) {
  testing::CollectingSink sink;
  const std::string terminal_path = absl::StrCat(getenv("TEST_TMPDIR"), "/terminal.txt");
  const int terminal_fd = open(terminal_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(terminal_fd, 0);
  TerminalSink terminal(terminal_fd, {.color = ColorMode::kNever,
                                      .repeat_window = absl::ZeroDuration(),
                                      .job_lines_per_second = 0});
  Dispatcher dispatcher({&sink, &terminal});
  Diagnostics diagnostics;
  UdpServerOptions options;
  options.ingest.diagnostics = diagnostics.Sink();
  auto server = UdpServer::Start(options, &dispatcher);
  ASSERT_TRUE(server.ok()) << server.status();
  testing::UdpSender sender((*server)->local_address());

  const std::vector<std::string> garbage = Garbage();
  const std::vector<std::string> odd = OddButValid();
  const absl::Time start = absl::Now();
  // Garbage, each followed by a valid record; then the odd valid ones.
  for (size_t i = 0; i < garbage.size(); ++i) {
    sender.Send(garbage[i]);
    sender.Send(Record(absl::StrCat("valid ", i)));
  }
  for (const std::string& datagram : odd) sender.Send(datagram);
  const size_t expected = garbage.size() + odd.size();
  ASSERT_TRUE(sink.WaitFor(expected, absl::Seconds(30)))
      << sink.entries().size() << " of " << expected;
  // Still serving afterwards.
  sender.Send(Record("after the storm"));
  ASSERT_TRUE(sink.WaitFor(expected + 1, absl::Seconds(30)));
  (*server)->Stop();
  const int64_t seconds = absl::ToInt64Seconds(absl::Now() - start);
  dispatcher.Flush();
  close(terminal_fd);

  const LogStats stats = (*server)->stats();
  EXPECT_EQ(stats.malformed, garbage.size());
  EXPECT_EQ(stats.records, expected + 1);
  EXPECT_EQ(stats.dropped, 0u);
  const auto entries = sink.entries();
  ASSERT_EQ(entries.size(), expected + 1);
  for (size_t i = 0; i < garbage.size(); ++i) {
    EXPECT_EQ(entries[i].message, absl::StrCat("valid ", i));
  }
  EXPECT_EQ(entries.back().message, "after the storm");
  EXPECT_EQ(entries[garbage.size()].record.msg(),
            std::string("nul \0 inside, escape \x1b[2J, bidi \xE2\x80\xAE", 35));

  // One sender, all within moments: a handful of lines, not one per datagram,
  // and the last one carries the total. (At most one more line per second the
  // test took: the rate limit's interval can pass on a slow machine.)
  const std::vector<std::string> lines = diagnostics.Get();
  ASSERT_GE(lines.size(), 1u);
  EXPECT_LE(lines.size(), 4u + seconds);
  EXPECT_THAT(lines.back(), HasSubstr(absl::StrCat("(", garbage.size(), " in all)")));
  // Nothing raw on the terminal: the escape, the NUL and the bidi override
  // arrive escaped.
  const std::string text = testing::ReadFile(terminal_path);
  EXPECT_THAT(text, HasSubstr("nul \\x00 inside, escape \\x1b[2J, bidi \\u202e"));
  for (unsigned char c : text) {
    EXPECT_TRUE(c >= 0x20 || c == '\n' || c == '\t') << "raw control byte " << int{c};
  }
}

class AuthenticatedServer {
 public:
  explicit AuthenticatedServer(bool allow_unsigned) {
    secret_ = *DatagramAuth::NewSecret();
    auth_ = *DatagramAuth::FromSecret(secret_);
    UdpServerOptions options;
    options.ingest.diagnostics = diagnostics_.Sink();
    options.ingest.secret = secret_;
    options.ingest.allow_unsigned = allow_unsigned;
    server_ = *UdpServer::Start(options, &dispatcher_);
  }
  std::string Signed(std::string json) {
    auth_->Sign(&json);
    return json;
  }
  UdpServer& server() { return *server_; }
  testing::CollectingSink& sink() { return sink_; }
  Diagnostics& diagnostics() { return diagnostics_; }

 private:
  std::string secret_;
  std::unique_ptr<DatagramAuth> auth_;
  testing::CollectingSink sink_;
  Dispatcher dispatcher_{{&sink_}};
  Diagnostics diagnostics_;
  std::unique_ptr<UdpServer> server_;
};

TEST(HostileInputTest, UnsignedForgedTamperedReplayedAndOtherRunAreRefused) {
  AuthenticatedServer leader(/*allow_unsigned=*/false);
  testing::UdpSender sender(leader.server().local_address());
  auto other_run = *DatagramAuth::FromSecret(*DatagramAuth::NewSecret());

  const std::string good = leader.Signed(Record("good", 77, 1));
  sender.Send(good);
  sender.Send(Record("unsigned"));
  std::string tampered = good;
  tampered.replace(tampered.find("good"), 4, "evil");
  sender.Send(tampered);
  std::string theirs = Record("other run", 77, 2);
  other_run->Sign(&theirs);
  sender.Send(theirs);
  // A forger who copies our key id from the wire but has no secret.
  std::string forged = theirs;
  forged.replace(forged.find(other_run->key_id()), 16,
                 good.substr(good.rfind("\"hmac\":\"") + 8, 16));
  sender.Send(forged);
  sender.Send(good);  // replayed: same stream and sequence number
  // An insider's signed but malformed datagram still meets the decoder.
  sender.Send(leader.Signed(R"({"msg":"x","levelno":"abc"})"));
  sender.Send(leader.Signed(Record("good again", 77, 2)));
  ASSERT_TRUE(leader.sink().WaitFor(2, absl::Seconds(30)));
  leader.server().Stop();

  const LogStats stats = leader.server().stats();
  EXPECT_EQ(stats.records, 2u);
  EXPECT_EQ(stats.unsigned_refused, 1u);
  EXPECT_EQ(stats.forged, 2u);
  EXPECT_EQ(stats.other_run, 1u);
  EXPECT_EQ(stats.duplicates, 1u);
  EXPECT_EQ(stats.malformed, 1u);
  EXPECT_EQ(stats.lost, 0u);
  const auto entries = leader.sink().entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].message, "good");
  EXPECT_EQ(entries[1].message, "good again");
  EXPECT_EQ(entries[0].authenticity, Authenticity::kSigned);

  std::string all;
  for (const std::string& line : leader.diagnostics().Get()) all += line + "\n";
  EXPECT_THAT(all, HasSubstr("1 unsigned datagram refused from " + sender.address()));
  EXPECT_THAT(all, HasSubstr("need the leader to allow unsigned records"));
  EXPECT_THAT(all, HasSubstr("with a bad signature refused from " + sender.address()));
  EXPECT_THAT(all, HasSubstr("(2 in all)"));
  EXPECT_THAT(all, HasSubstr("1 datagram signed for another run refused"));
  EXPECT_THAT(all, HasSubstr("1 record from job/1 node1 pid 42 dropped as duplicates"));
}

TEST(HostileInputTest, AllowedUnsignedRecordsAreMarkedAndForgeriesStillRefused) {
  AuthenticatedServer leader(/*allow_unsigned=*/true);
  testing::UdpSender sender(leader.server().local_address());
  const std::string good = leader.Signed(Record("signed"));
  sender.Send(good);
  sender.Send(Record("from a python job"));
  std::string tampered = good;
  tampered.replace(tampered.find("signed"), 6, "SIGNED");
  sender.Send(tampered);
  sender.Send(Record("the end"));
  ASSERT_TRUE(leader.sink().WaitFor(3, absl::Seconds(30)));
  leader.server().Stop();
  const LogStats stats = leader.server().stats();
  EXPECT_EQ(stats.forged, 1u);
  EXPECT_EQ(stats.unsigned_accepted, 2u);
  const auto entries = leader.sink().entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].authenticity, Authenticity::kSigned);
  EXPECT_EQ(entries[1].authenticity, Authenticity::kUnsigned);
  EXPECT_EQ(entries[1].message, "from a python job");
}

// With allow_unsigned, an unsigned datagram that claims a signed job's
// stream, far ahead, cannot make the job's signed records duplicates, nor
// turn its row in `senders` unsigned.
TEST(HostileInputTest, UnsignedRecordsCannotSteerASignedStream) {
  AuthenticatedServer leader(/*allow_unsigned=*/true);
  testing::UdpSender sender(leader.server().local_address());
  const uint64_t victim = 4242;
  sender.Send(leader.Signed(Record("signed 1", victim, 1)));
  sender.Send(Record("forged, far ahead", victim, 1000000));
  for (uint64_t seq = 2; seq <= 6; ++seq) {
    sender.Send(leader.Signed(Record(absl::StrCat("signed ", seq), victim, seq)));
  }
  ASSERT_TRUE(leader.sink().WaitFor(7, absl::Seconds(30)));
  leader.server().Stop();
  const LogStats stats = leader.server().stats();
  EXPECT_EQ(stats.duplicates, 0u);
  EXPECT_EQ(stats.lost, 0u);  // the unsigned stream joined midway: no loss
  int signed_shown = 0;
  for (const auto& entry : leader.sink().entries()) {
    if (entry.authenticity == Authenticity::kSigned) ++signed_shown;
  }
  EXPECT_EQ(signed_shown, 6);
  int signed_rows = 0;
  int unsigned_rows = 0;
  for (const SenderTable::Row& row : leader.server().senders().Snapshot()) {
    ++(row.signed_records ? signed_rows : unsigned_rows);
  }
  EXPECT_EQ(signed_rows, 1);
  EXPECT_EQ(unsigned_rows, 1);
}

// A flood of unsigned records with fresh streams cannot evict a signed
// stream (they are tracked apart), and a signed stream forgotten for any
// reason is still not open to replay.
TEST(HostileInputTest, AFloodOfUnsignedStreamsDoesNotReopenReplay) {
  AuthenticatedServer leader(/*allow_unsigned=*/true);
  testing::UdpSender sender(leader.server().local_address());
  const std::string captured = leader.Signed(Record("once only", 99, 1));
  sender.Send(captured);
  ASSERT_TRUE(leader.sink().WaitFor(1, absl::Seconds(30)));
  const uint64_t flood = 20000;
  for (uint64_t stream = 1000; stream < 1000 + flood; ++stream) {
    sender.Send(Record("flood", stream, 1));
    // Paced a little, so that the kernel keeps every datagram.
    if (stream % 500 == 0) {
      ASSERT_TRUE(leader.sink().WaitFor(1 + (stream - 1000), absl::Seconds(30)));
    }
  }
  sender.Send(captured);  // replayed after the flood
  sender.Send(leader.Signed(Record("the end", 99, 2)));
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        const auto entries = leader.sink().entries();
        return !entries.empty() && entries.back().message == "the end";
      },
      absl::Seconds(30), "the last record"));
  leader.server().Stop();
  int shown = 0;
  for (const auto& entry : leader.sink().entries()) {
    if (entry.message == "once only") ++shown;
  }
  EXPECT_EQ(shown, 1);
  EXPECT_EQ(leader.server().stats().duplicates, 1u);
}

// Thousands of streams (forged, or a huge run) losing records at once do
// not flood the leader's stderr: a few named, the rest summed up.
TEST(HostileInputTest, LossFromManyStreamsIsSummedUpNotListed) {
  testing::CollectingSink sink;
  Dispatcher dispatcher({&sink});
  Diagnostics diagnostics;
  UdpServerOptions options;
  options.ingest.diagnostics = diagnostics.Sink();
  auto server = UdpServer::Start(options, &dispatcher);
  ASSERT_TRUE(server.ok());
  testing::UdpSender sender((*server)->local_address());
  const uint64_t streams = 5000;
  for (uint64_t stream = 1; stream <= streams; ++stream) {
    sender.Send(Record("x", stream, 3));  // 1 and 2 never came
    if (stream % 500 == 0) {
      ASSERT_TRUE(sink.WaitFor(stream, absl::Seconds(30)));
    }
  }
  (*server)->Stop();
  EXPECT_EQ((*server)->stats().lost, 2 * streams);
  const std::vector<std::string> lines = diagnostics.Get();
  EXPECT_LT(lines.size(), 200u) << "one line per stream";
  std::string all;
  for (const std::string& line : lines) all += line + "\n";
  EXPECT_THAT(all, HasSubstr("more sending processes (too many to name each"));
  EXPECT_THAT(all, HasSubstr("10000 records were lost in transit in all, from 5000 sending "
                             "processes"));
}

TEST(HostileInputTest, SequenceGapsAndDuplicatesAreReportedPerJob) {
  testing::CollectingSink sink;
  Dispatcher dispatcher({&sink});
  Diagnostics diagnostics;
  UdpServerOptions options;
  options.ingest.diagnostics = diagnostics.Sink();
  auto server = UdpServer::Start(options, &dispatcher);
  ASSERT_TRUE(server.ok());
  testing::UdpSender sender((*server)->local_address());
  // Stream 1 (job/1) loses 4 and 5; stream 2 sends 3 twice.
  for (uint64_t seq : {1, 2, 3, 6, 7, 8}) sender.Send(Record("a", 1, seq));
  LogRecord other;
  for (uint64_t seq : {1, 2, 3, 3, 4}) {
    other.set_job("job/2");
    other.set_msg("b");
    other.set_stream(2);
    other.set_seq(seq);
    std::string json;
    EncodeRecord(other, &json);
    sender.Send(json);
  }
  ASSERT_TRUE(sink.WaitFor(10, absl::Seconds(30)));
  (*server)->Stop();
  const LogStats stats = (*server)->stats();
  EXPECT_EQ(stats.lost, 2u);
  EXPECT_EQ(stats.duplicates, 1u);
  EXPECT_EQ(sink.entries().size(), 10u);
  std::string all;
  for (const std::string& line : diagnostics.Get()) all += line + "\n";
  EXPECT_THAT(all, HasSubstr("2 records from job/1 node1 pid 42 lost in transit"));
  EXPECT_THAT(all, HasSubstr("1 record from job/2 "));
  EXPECT_THAT(all, HasSubstr("2 records were lost in transit in all, from 1 sending process"));
  EXPECT_THAT(all, Not(HasSubstr("job/2 127.0.0.1 pid 0 lost")));
}

}  // namespace
}  // namespace toil::rtlog::internal
