// The stream transport end to end, with real processes: a `toil-rtlog serve`
// or `run` leader, C++ jobs (tests/test_job.cc, `toil-rtlog send`) over
// their stream connections. Every record arrives exactly once however fast
// the jobs log (with the waiting policy) and under 20% packet loss; under
// the dropping policy every record is still in the job's stderr, and every
// one not sent is counted; a leader killed and started again on the same
// port with the same secret receives what jobs logged while it was down; a
// job killed with SIGKILL loses nothing it had sent before; a job exiting on
// a hung connection connects again before it gives its leader up, and one
// exiting while its leader pauses leaves nothing unsent; a stream that
// cannot be opened falls back to datagrams, with one warning.
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/delivery_checks.h"
#include "tests/serve_process.h"
#include "tests/test_util.h"

namespace toil::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

int Lines(const std::string& text, absl::string_view containing) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n'))
    n += absl::StrContains(line, containing);
  return n;
}

// `seq | toil-rtlog send` under `toil-rtlog run`: the pipe is read no
// faster than the leader takes the lines, and every one arrives, and is in
// the job's stderr.
TEST(StreamDeliveryTest, APipeIntoSendLosesNoLine) {
  constexpr int kLines = 200000;
  const std::string out = TempPath("send.jsonl");
  const std::string job_err = TempPath("send.err");
  const ProcessResult run = RunProcess(
      {Tool(), "run", "--format=jsonl", "--output=" + out, "--", "sh", "-c",
       absl::StrCat("seq 0 ", kLines - 1, " | ", Tool(), " send --name=burst 2>", job_err)},
      {}, absl::Seconds(240));
  const std::string err = ReadFile(job_err);
  ASSERT_EQ(run.exit_code, 0) << run.err << "the end of send's stderr:\n"
                              << err.substr(err.size() - std::min<size_t>(err.size(), 4000));
  EXPECT_THAT(run.err, HasSubstr("1 stream connection (0 refused)"));
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(kLines, " records received")));
  EXPECT_TRUE(ExactlyOnce(Counts(ReadFile(out), ""), kLines));
  EXPECT_EQ(Lines(err, " INFO "), kLines);
  EXPECT_THAT(err, Not(HasSubstr("warning")));
}

// The waiting policy: a job logging as fast as it can loses nothing.
TEST(StreamDeliveryTest, WithTheWaitingPolicyAFullSpeedJobLosesNothing) {
  constexpr int kRecords = 100000;
  Serve serve({"--format=jsonl", "--output=" + TempPath("wait.jsonl")});
  std::vector<EnvChange> env = StreamJobEnv(serve, "fast");
  env.push_back({"TOIL_RT_LOGGING_OVERFLOW", "wait:60s"});
  const ProcessResult job =
      RunProcess({TestJob(), "count", std::to_string(kRecords)}, env, absl::Seconds(240));
  ASSERT_EQ(job.exit_code, 0) << job.err;
  EXPECT_EQ(Lines(job.err, "record "), kRecords);
  EXPECT_THAT(job.err, Not(HasSubstr("warning")));
  ASSERT_TRUE(WaitUntil([&] { return serve.Count("records") >= kRecords; }, absl::Seconds(60),
                        "every record at the leader"));
  serve.Stop();
  EXPECT_TRUE(ExactlyOnce(Counts(ReadFile(TempPath("wait.jsonl")), "record "), kRecords));
}

// The dropping policy (the default): what the queue could not take is
// still in the job's stderr, and counted; the leader's records and the
// count add up to every record.
TEST(StreamDeliveryTest, WithTheDroppingPolicyEveryRecordIsInStderrAndEveryDropCounted) {
  constexpr int kRecords = 200000;
  Serve serve({"--format=jsonl", "--output=" + TempPath("drop.jsonl")});
  std::vector<EnvChange> env = StreamJobEnv(serve, "fast");
  env.push_back({"TOIL_RT_LOGGING_OVERFLOW", "drop"});
  const ProcessResult job = RunProcess({TestJob(), "threads", "4", std::to_string(kRecords / 4)},
                                       env, absl::Seconds(240));
  ASSERT_EQ(job.exit_code, 0) << job.err;
  EXPECT_EQ(Lines(job.err, " i="), kRecords);  // every record, in the job's stderr
  uint64_t dropped = 0;
  for (absl::string_view line : absl::StrSplit(job.err, '\n')) {
    const size_t at = line.find(" records were not sent because the log queue was full");
    if (at != absl::string_view::npos) {
      absl::string_view number = line.substr(0, at);
      number = number.substr(number.rfind(' ') + 1);
      ASSERT_TRUE(absl::SimpleAtoi(number, &dropped)) << line;
    }
  }
  ASSERT_TRUE(
      WaitUntil([&] { return serve.Count("records") >= static_cast<int64_t>(kRecords - dropped); },
                absl::Seconds(60), "the records sent, at the leader"));
  serve.Stop();
  const std::string leader = ReadFile(TempPath("drop.jsonl"));
  EXPECT_EQ(static_cast<uint64_t>(Lines(leader, "\"msg\":\"t=")), kRecords - dropped);
  if (dropped > 0) {  // the leader was told
    EXPECT_THAT(leader, HasSubstr("not sent: the job logged faster than they could be sent"));
  }
}

// serve --port --secret_file, killed (SIGKILL) and started again: the job
// goes on logging meanwhile, and the second leader receives what the first
// did not acknowledge, so the two together have every record (a record is
// acknowledged only once the leader's sinks wrote it).
TEST(StreamDeliveryTest, ALeaderStartedAgainReceivesWhatJobsLoggedWhileItWasDown) {
  constexpr int kRecords = 400;
  const std::string secret_file = TempPath("secret");
  const std::string first_out = TempPath("first.jsonl");
  const std::string second_out = TempPath("second.jsonl");
  const int port = PortFreeForBoth();
  auto first = std::make_unique<Serve>(
      std::vector<std::string>{"--format=jsonl", "--output=" + first_out,
                               "--secret_file=" + secret_file, absl::StrCat("--port=", port)});
  ASSERT_EQ(PortOf(first->exports().at("TOIL_RT_LOGGING_ADDRESS")), port);
  ASSERT_EQ(PortOf(first->exports().at("TOIL_RT_LOGGING_STREAM")), port);
  BackgroundProcess job({TestJob(), "paced", std::to_string(kRecords), "10"},
                        StreamJobEnv(*first, "patient"));
  ASSERT_TRUE(WaitUntil([&] { return Counts(ReadFile(first_out), "paced ").size() >= 50; },
                        absl::Seconds(60), "50 records at the first leader"));
  first.reset();                                                   // SIGKILL
  ASSERT_TRUE(job.WaitForStderr("paced 150", absl::Seconds(60)));  // logged while down
  Serve second({"--format=jsonl", "--output=" + second_out, "--secret_file=" + secret_file,
                absl::StrCat("--port=", port)});
  const ProcessResult ended = job.Stop(0, absl::Seconds(120));
  ASSERT_EQ(ended.exit_code, 0) << ended.err;
  EXPECT_THAT(ended.err, Not(HasSubstr("never acknowledged")));
  second.Stop();
  std::map<int, int> both = Counts(ReadFile(first_out), "paced ");
  const std::map<int, int> after = Counts(ReadFile(second_out), "paced ");
  EXPECT_EQ(after.count(150), 1u);  // logged while no leader was there
  for (const auto& [n, count] : after) {
    if (both.count(n) == 0) both[n] = count;  // the resent are dropped by each leader
  }
  EXPECT_TRUE(ExactlyOnce(both, kRecords));
}

// Whether a TCP connection whose local end is 127.0.0.1:`port` waits in
// CLOSE_WAIT: its peer closed it, and its owner has not read that yet.
bool ClosedByItsPeer(int port) {
  const std::string local = absl::StrFormat("0100007F:%04X", port);
  for (absl::string_view line : absl::StrSplit(ReadFile("/proc/net/tcp"), '\n')) {
    const std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() > 3 && fields[1] == local && fields[3] == "08") return true;
  }
  return false;
}

// A job that exits while its connection hangs (the leader stopped, or
// TCP backing off under loss) gives that connection up after 10 s without
// an acknowledgement, and then connects again before it gives up the
// leader: a leader that answers the new connection gets every record, and
// the job says nothing was lost.
TEST(StreamDeliveryTest, AJobExitingOnAHungConnectionConnectsAgainBeforeGivingUp) {
  const std::string out = TempPath("hung.jsonl");
  Serve serve({"--format=jsonl", "--output=" + out});
  BackgroundProcess job({TestJob(), "paced", "40", "100"}, StreamJobEnv(serve, "hung"));
  ASSERT_TRUE(WaitUntil([&] { return !Counts(ReadFile(out), "paced ").empty(); }, absl::Seconds(60),
                        "a first record at the leader"));
  ASSERT_EQ(kill(serve.pid(), SIGSTOP), 0);
  // The job ends with records the stopped leader never acknowledged; after
  // 10 s it closes that connection.
  const bool closed = WaitUntil(
      [&] { return ClosedByItsPeer(PortOf(serve.exports().at("TOIL_RT_LOGGING_STREAM"))); },
      absl::Seconds(60), "the job to give its connection up");
  // The leader answers the new connection late, as over a lossy network
  // (the delay is the scenario, not a synchronisation).
  absl::SleepFor(absl::Seconds(3));
  kill(serve.pid(), SIGCONT);
  ASSERT_TRUE(closed);
  const ProcessResult ended = job.Stop(0, absl::Seconds(120));
  EXPECT_EQ(ended.exit_code, 0) << ended.err;
  EXPECT_THAT(ended.err, Not(HasSubstr("never acknowledged")));
  serve.Stop();
  EXPECT_TRUE(ExactlyOnce(Counts(ReadFile(out), "paced "), 40));
}

// A job that exits while its sender waits, in the middle of a batch, for
// a leader that stopped answering for a while (7 s: longer than the 5 s a
// job waits for a sender that makes no progress, shorter than the 10 s
// after which a connection is given up): once the leader answers, the
// sender takes the rest of its queue, every record arrives, and the job
// does not say that records were left unsent.
TEST(StreamDeliveryTest, AJobExitingWhileItsLeaderPausesLeavesNothingUnsent) {
  // More than the 2 MiB a job sends ahead of acknowledgements; the rest
  // fits in its queue.
  constexpr int kRecords = 10000;
  const std::string out = TempPath("pause.jsonl");
  const std::string go = TempPath("pause.go");
  Serve serve({"--format=jsonl", "--output=" + out});
  BackgroundProcess job({TestJob(), "burst_on", go, absl::StrCat(kRecords)},
                        StreamJobEnv(serve, "pause"));
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(ReadFile(out), "\"message\":\"ready\""); },
                        absl::Seconds(60), "the job's first record at the leader"));
  ASSERT_EQ(kill(serve.pid(), SIGSTOP), 0);
  WriteFile(go, "");
  // The leader's pause is the scenario, not a synchronisation.
  absl::SleepFor(absl::Seconds(7));
  kill(serve.pid(), SIGCONT);
  const ProcessResult ended = job.Stop(0, absl::Seconds(120));
  EXPECT_EQ(ended.exit_code, 0) << ended.err;
  EXPECT_THAT(ended.err, Not(HasSubstr("still queued")));
  EXPECT_THAT(ended.err, Not(HasSubstr("never acknowledged")));
  serve.Stop();
  EXPECT_TRUE(ExactlyOnce(Counts(ReadFile(out), "burst "), kRecords));
}

// A job killed with SIGKILL: the leader has every record it sent up to
// some point, in order, with no gap, and says the stream never ended.
TEST(StreamDeliveryTest, AJobKilledLosesOnlyItsLastRecordsAndTheLeaderSaysSo) {
  const std::string out = TempPath("killed.jsonl");
  auto serve =
      std::make_unique<Serve>(std::vector<std::string>{"--format=jsonl", "--output=" + out});
  BackgroundProcess job({TestJob(), "paced", "100000", "1"}, StreamJobEnv(*serve, "doomed"));
  ASSERT_TRUE(WaitUntil([&] { return serve->Count("records") >= 200; }, absl::Seconds(60),
                        "200 records at the leader"));
  job.Stop(SIGKILL);
  const ProcessResult stopped = serve->Stop();
  const std::map<int, int> counts = Counts(ReadFile(out), "paced ");
  ASSERT_GE(counts.size(), 200u);
  EXPECT_TRUE(ExactlyOnce(counts, static_cast<int>(counts.size())));  // 0 .. k-1, once each
  EXPECT_THAT(stopped.err, HasSubstr("1 stream connection never said its process ended"));
  EXPECT_THAT(stopped.err, HasSubstr("doomed"));
}

// A leader that takes no stream connections where the job was told: the
// job says so once and sends datagrams, which arrive.
TEST(StreamDeliveryTest, AStreamThatCannotBeOpenedFallsBackToDatagrams) {
  const int closed = [] {  // a TCP port no one listens on
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
  }();
  Serve serve({"--stream=false"});
  EXPECT_EQ(serve.exports().count("TOIL_RT_LOGGING_STREAM"), 0u);
  std::vector<EnvChange> env = serve.JobEnv("fallback");
  env.push_back({"TOIL_RT_LOGGING_STREAM", absl::StrCat("127.0.0.1:", closed)});
  const ProcessResult job = RunProcess({TestJob(), "count", "100"}, env);
  ASSERT_EQ(job.exit_code, 0) << job.err;
  EXPECT_EQ(Lines(job.err, "cannot open a stream connection to the leader"), 1) << job.err;
  EXPECT_THAT(job.err, HasSubstr("records are sent as datagrams instead"));
  EXPECT_TRUE(WaitUntil([&] { return serve.Count("records") >= 100; }, absl::Seconds(30),
                        "100 records by datagram"));
}

// Another run's job (another secret) cannot open a stream to this leader:
// its handshake is refused on both sides and counted.
TEST(StreamDeliveryTest, AnotherRunsJobIsRefusedItsStream) {
  Serve serve({});
  Serve other({});
  std::vector<EnvChange> env = StreamJobEnv(other, "stranger");
  for (EnvChange& change : env) {
    if (change.name == "TOIL_RT_LOGGING_STREAM") {
      change.value = serve.exports().at("TOIL_RT_LOGGING_STREAM");
    }
  }
  const ProcessResult job = RunProcess({TestJob(), "count", "3"}, env);
  EXPECT_THAT(job.err, HasSubstr("the TLS handshake (is it this run's leader?)"));
  const ProcessResult stopped = serve.Stop();
  EXPECT_THAT(stopped.err, HasSubstr("stream connection refused"));
  EXPECT_THAT(stopped.err, Not(HasSubstr("record 0")));
}

// A leader that closes a connection in the middle of its handshake (it
// gave up waiting, on a lossy network) has not refused the job: the job
// connects again rather than falling back to datagrams at once.
TEST(StreamDeliveryTest, AHandshakeCutShortIsTriedAgainNotTakenForARefusal) {
  int port = 0;
  const int listener = LoopbackListener(&port);
  ASSERT_GE(listener, 0);
  const auto accepted = [&](absl::Duration within) {
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(Scaled(within)))) <= 0) return -1;
    return accept(listener, nullptr, nullptr);
  };
  Serve serve({"--stream=false"});
  std::vector<EnvChange> env = serve.JobEnv("cut");
  env.push_back({"TOIL_RT_LOGGING_STREAM", absl::StrCat("127.0.0.1:", port)});
  BackgroundProcess job({TestJob(), "count", "10"}, env);
  const int first = accepted(absl::Seconds(30));
  ASSERT_GE(first, 0) << "the job never connected";
  close(first);  // mid-handshake, without a word
  const int second = accepted(absl::Seconds(8));
  EXPECT_GE(second, 0) << "the job took a cut handshake for a refusal";
  if (second >= 0) close(second);
  const ProcessResult ended = job.Stop(0, absl::Seconds(120));
  EXPECT_EQ(ended.exit_code, 0) << ended.err;
  close(listener);
}

// 20% of packets dropped at random on the path (nftables, in a network
// namespace this test makes, on its own loopback): four jobs' records
// arrive every one, exactly once, over their streams.
TEST(StreamDeliveryTest, UnderTwentyPercentPacketLossEveryRecordArrivesOnce) {
  std::string why;
  const std::unique_ptr<LossyNamespace> lossy = LossyNamespace::Make(20, &why);
  if (lossy == nullptr) TOIL_SKIP_OR_FAIL_UNDER_CI(why);
  const std::string& ns = lossy->name();
  const std::string out = TempPath("lossy.jsonl");
  const std::string logs = TempPath("lossy-logs");
  const ProcessResult run =
      RunProcess({"/usr/sbin/ip", "netns", "exec", ns, Tool(), "run", "--jobs=4", "--format=jsonl",
                  "--output=" + out, "--log_dir=" + logs, "--", TestJob(), "count", "5000"},
                 {}, absl::Seconds(240));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // Nothing but the records: no line a job printed (a warning) either.
  std::vector<std::string> others;
  for (absl::string_view line : absl::StrSplit(ReadFile(out), '\n', absl::SkipEmpty())) {
    if (!absl::StrContains(line, "\"msg\":\"record ")) others.emplace_back(line);
  }
  EXPECT_THAT(others, ::testing::IsEmpty()) << absl::StrJoin(others, "\n");
  EXPECT_THAT(run.err, HasSubstr("20000 records received"));
  // Over streams, not datagrams: one each at least (a stream that stalls
  // under loss reconnects, and resends what was not acknowledged).
  EXPECT_THAT(run.err, ContainsRegex(" ([4-9]|[1-9][0-9]+) stream connections"));
  const std::map<std::string, std::map<int, int>> by_job = CountsByJob(ReadFile(out), "record ");
  ASSERT_EQ(by_job.size(), 4u);
  for (const auto& [job, counts] : by_job) {
    // What the job itself said at its end, when it did not deliver all.
    const std::string log = ReadFile(absl::StrCat(logs, "/", job, ".log"));
    EXPECT_TRUE(ExactlyOnce(counts, 5000))
        << job << "; the end of its log:\n"
        << log.substr(log.size() - std::min<size_t>(log.size(), 800));
  }
}

}  // namespace
}  // namespace toil::testing
