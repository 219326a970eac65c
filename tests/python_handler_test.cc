// toil_rtlog.Handler (python/toil_rtlog, a Python job's sender) against the
// C++ leader, with real processes: tests/python/handler_job.py run by
// /usr/bin/python3 with a `toil-rtlog serve`'s variables. By datagram:
// every record arrives signed and numbered, a record too large for a
// datagram is cut and marked, a forked child numbers a stream of its own,
// and a secret that cannot be used is said on the job's stderr (the leader
// then refuses what comes unsigned). Over the stream: nothing lost with the
// waiting policy, a leader started again gets what was logged while it was
// down, and a stream that cannot start falls back to datagrams.
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "tests/delivery_checks.h"
#include "tests/serve_process.h"
#include "tests/test_util.h"

namespace toil {
namespace {

using testing::EnvChange;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::Runfile;
using testing::Serve;
using ::testing::StartsWith;
using testing::StringField;

constexpr char kPython[] = "/usr/bin/python3";

// The environment of handler_job.py: `serve`'s job environment, and the
// package on PYTHONPATH.
std::vector<EnvChange> JobEnv(const Serve& serve) {
  std::vector<EnvChange> env = serve.JobEnv("py-handler");
  env.push_back({"PYTHONPATH", testing::PythonPackagePath()});
  return env;
}

std::vector<std::string> JobArgv(std::vector<std::string> args = {}) {
  args.insert(args.begin(), {kPython, Runfile("tests/python/handler_job.py")});
  return args;
}

ProcessResult RunJob(const std::vector<EnvChange>& env, std::vector<std::string> args = {}) {
  return testing::RunProcess(JobArgv(std::move(args)), env, absl::Seconds(240));
}

// `serve`'s stream environment, and the package on PYTHONPATH.
std::vector<EnvChange> StreamEnv(const Serve& serve) {
  std::vector<EnvChange> env = JobEnv(serve);
  env.push_back({"TOIL_RT_LOGGING_STREAM", serve.exports().at("TOIL_RT_LOGGING_STREAM")});
  return env;
}

TEST(PythonHandlerTest, EveryRecordArrivesSignedNumberedAndWhole) {
  const std::string out = testing::TempPath("handler.jsonl");
  Serve serve({"--format=jsonl", "--output=" + out});
  const ProcessResult job = RunJob(JobEnv(serve));
  ASSERT_EQ(job.exit_code, 0) << job.err;
  EXPECT_EQ(job.err, "");
  const ProcessResult stopped = serve.Stop();
  EXPECT_THAT(stopped.err, HasSubstr("0 lost in transit"));
  const std::vector<google::protobuf::Struct> records = testing::ReadJsonLines(out);
  ASSERT_EQ(records.size(), 6u) << testing::ReadFile(out);

  std::map<std::string, std::vector<std::string>> seqs;  // stream -> numbers
  for (const auto& r : records) {
    EXPECT_TRUE(r.fields().at("signed").bool_value()) << StringField(r, "message");
    EXPECT_EQ(StringField(r, "job"), "py-handler");
    EXPECT_EQ(StringField(r, "name"), "handler.job");
    seqs[StringField(r, "stream")].push_back(StringField(r, "seq"));
  }
  EXPECT_EQ(StringField(records[0], "message"), "plain record 7%");
  EXPECT_THAT(StringField(records[1], "message"), StartsWith("an object <object object at 0x"));
  EXPECT_EQ(StringField(records[2], "message"), "a lookup failed");
  EXPECT_THAT(StringField(records[2], "exc_text"), HasSubstr("KeyError: 'missing'"));
  // 300,000 bytes of UTF-8: cut at a character's boundary, marked.
  const std::string cut = StringField(records[3], "message");
  EXPECT_THAT(cut, StartsWith("long \u00e9x\u00e9x"));
  EXPECT_THAT(cut, HasSubstr(" [cut: 300005 bytes, "));
  EXPECT_GT(cut.size(), 60000u);
  EXPECT_LE(cut.size(), 65507u);
  // The child's record is the first of a stream of its own.
  EXPECT_EQ(StringField(records[4], "message"), "from the child");
  EXPECT_EQ(StringField(records[4], "seq"), "1");
  EXPECT_EQ(StringField(records[5], "message"), "parent done");
  ASSERT_EQ(seqs.size(), 2u);
  EXPECT_EQ(seqs[StringField(records[0], "stream")],
            (std::vector<std::string>{"1", "2", "3", "4", "5"}));
}

TEST(PythonHandlerTest, TheSecretCanComeFromAFileAndOneOthersMayReadIsRefused) {
  const std::string out = testing::TempPath("secret-file.jsonl");
  Serve serve({"--format=jsonl", "--output=" + out});
  const std::string path = testing::TempPath("secret");
  testing::WriteFile(path, serve.exports().at("TOIL_RT_LOGGING_SECRET") + "\n");
  std::vector<EnvChange> env = JobEnv(serve);
  env.push_back({"TOIL_RT_LOGGING_SECRET", std::nullopt});
  env.push_back({"TOIL_RT_LOGGING_SECRET_FILE", path});

  chmod(path.c_str(), 0600);
  const ProcessResult kept = RunJob(env);
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(kept.err, "");
  ASSERT_TRUE(testing::WaitUntil([&] { return serve.Count("records") == 6; }, absl::Seconds(30),
                                 "the 6 records signed from the file"));

  chmod(path.c_str(), 0644);
  const ProcessResult shared = RunJob(env);
  ASSERT_EQ(shared.exit_code, 0) << shared.err;
  EXPECT_THAT(shared.err, HasSubstr("may be read by others (mode 644)"));
  EXPECT_THAT(shared.err, HasSubstr("records are sent unsigned"));
  EXPECT_THAT(shared.err, Not(HasSubstr(serve.exports().at("TOIL_RT_LOGGING_SECRET"))));
  ASSERT_TRUE(testing::WaitUntil([&] { return serve.Count("unsigned_refused") == 6; },
                                 absl::Seconds(30), "the 6 unsigned records refused"));
  EXPECT_EQ(serve.Count("records"), 6);
}

TEST(PythonHandlerStreamTest, WithTheWaitingPolicyNothingIsLost) {
  constexpr int kRecords = 50000;
  const std::string out = testing::TempPath("stream-wait.jsonl");
  Serve serve({"--format=jsonl", "--output=" + out});
  std::vector<EnvChange> env = StreamEnv(serve);
  env.push_back({"TOIL_RT_LOGGING_OVERFLOW", "wait:60s"});
  const ProcessResult job = RunJob(env, {"count", std::to_string(kRecords)});
  ASSERT_EQ(job.exit_code, 0) << job.err;
  EXPECT_EQ(job.err, "");
  // The job waited for the leader's acknowledgement of its last record.
  EXPECT_GE(serve.Count("records"), kRecords);
  const ProcessResult stopped = serve.Stop();
  EXPECT_THAT(stopped.err, HasSubstr("1 stream connection"));
  EXPECT_THAT(stopped.err, HasSubstr("0 lost in transit"));
  EXPECT_TRUE(testing::ExactlyOnce(testing::Counts(testing::ReadFile(out), "record "), kRecords));
}

// The dropping policy (the default): what the queue could not take is
// counted on the job's stderr, and with what arrived makes every record.
TEST(PythonHandlerStreamTest, WithTheDroppingPolicyEveryDropIsCounted) {
  constexpr int kRecords = 100000;
  const std::string out = testing::TempPath("stream-drop.jsonl");
  Serve serve({"--format=jsonl", "--output=" + out});
  const ProcessResult job = RunJob(StreamEnv(serve), {"count", std::to_string(kRecords)});
  ASSERT_EQ(job.exit_code, 0) << job.err;
  serve.Stop();
  const size_t arrived = testing::Counts(testing::ReadFile(out), "record ").size();
  int dropped = 0;
  const std::string words = "toil_rtlog: ";
  if (const size_t at = job.err.find(words); at != std::string::npos) {
    EXPECT_TRUE(absl::SimpleAtoi(
        job.err.substr(at + words.size(), job.err.find(' ', at + words.size()) - at - words.size()),
        &dropped))
        << job.err;
  }
  EXPECT_EQ(arrived + dropped, static_cast<size_t>(kRecords)) << job.err;
}

// serve --port --secret_file, killed (SIGKILL) and started again: the
// Python job keeps what was not acknowledged, and sends it to the next one.
TEST(PythonHandlerStreamTest, ALeaderStartedAgainGetsWhatWasLoggedWhileItWasDown) {
  constexpr int kRecords = 300;
  const std::string secret_file = testing::TempPath("restart-secret");
  const std::string first_out = testing::TempPath("restart-first.jsonl");
  const std::string second_out = testing::TempPath("restart-second.jsonl");
  const int port = testing::PortFreeForBoth();
  auto first = std::make_unique<Serve>(
      std::vector<std::string>{"--format=jsonl", "--output=" + first_out,
                               "--secret_file=" + secret_file, absl::StrCat("--port=", port)});
  ASSERT_EQ(testing::PortOf(first->exports().at("TOIL_RT_LOGGING_STREAM")), port);
  testing::BackgroundProcess job(JobArgv({"paced", std::to_string(kRecords), "10"}),
                                 StreamEnv(*first));
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return testing::Counts(testing::ReadFile(first_out), "paced ").size() >= 50; },
      absl::Seconds(60), "50 records at the first leader"));
  first.reset();                                                      // SIGKILL
  ASSERT_TRUE(job.WaitForStdout("logged 150\n", absl::Seconds(60)));  // while no leader is there
  Serve second({"--format=jsonl", "--output=" + second_out, "--secret_file=" + secret_file,
                absl::StrCat("--port=", port)});
  const ProcessResult ended = job.Stop(0, absl::Seconds(120));
  ASSERT_EQ(ended.exit_code, 0) << ended.err;
  EXPECT_EQ(ended.err, "");
  second.Stop();
  std::map<int, int> both = testing::Counts(testing::ReadFile(first_out), "paced ");
  const std::map<int, int> after = testing::Counts(testing::ReadFile(second_out), "paced ");
  EXPECT_EQ(after.count(150), 1u);
  for (const auto& [n, count] : after) {
    if (both.count(n) == 0) both[n] = count;  // what was resent, each leader drops
  }
  EXPECT_TRUE(testing::ExactlyOnce(both, kRecords));
}

TEST(PythonHandlerStreamTest, AStreamThatCannotStartFallsBackToDatagrams) {
  const std::string out = testing::TempPath("fallback.jsonl");
  Serve serve({"--format=jsonl", "--output=" + out});
  std::vector<EnvChange> env = JobEnv(serve);
  env.push_back({"TOIL_RT_LOGGING_STREAM", absl::StrCat("127.0.0.1:", testing::PortFreeForBoth())});
  const ProcessResult job = RunJob(env, {"count", "20"});
  ASSERT_EQ(job.exit_code, 0) << job.err;
  EXPECT_THAT(job.err, HasSubstr("could not start (cannot connect: Connection refused); "
                                 "records are sent as datagrams"));
  ASSERT_TRUE(testing::WaitUntil([&] { return serve.Count("records") == 20; }, absl::Seconds(30),
                                 "the 20 records as datagrams"));
  const ProcessResult stopped = serve.Stop();
  EXPECT_THAT(stopped.err, HasSubstr("0 lost in transit"));
  EXPECT_TRUE(testing::ExactlyOnce(testing::Counts(testing::ReadFile(out), "record "), 20));
}

// A stream that does not answer (a listener that never accepts) is tried
// again until 10 s have passed, not given up at its first attempt's timeout
// (under packet loss a first handshake can time out), then the job falls
// back to datagrams.
TEST(PythonHandlerStreamTest, AStreamNotAnsweredIsTriedForTenSecondsThenFallsBack) {
  const std::string out = testing::TempPath("silent.jsonl");
  Serve serve({"--format=jsonl", "--output=" + out});
  int port = 0;
  const int silent = testing::LoopbackListener(&port);
  ASSERT_GE(silent, 0);
  std::vector<EnvChange> env = JobEnv(serve);
  env.push_back({"TOIL_RT_LOGGING_STREAM", absl::StrCat("127.0.0.1:", port)});
  const ProcessResult job = RunJob(env, {"count", "20"});
  close(silent);
  ASSERT_EQ(job.exit_code, 0) << job.err;
  EXPECT_THAT(job.err, HasSubstr("could not start (not answered for 10 s"));
  ASSERT_TRUE(testing::WaitUntil([&] { return serve.Count("records") == 20; }, absl::Seconds(30),
                                 "the 20 records as datagrams"));
}

// 20% of packets dropped at random (nftables, in a network namespace the
// test makes): two Python jobs' records arrive every one, exactly once,
// over their streams.
TEST(PythonHandlerStreamTest, UnderTwentyPercentPacketLossEveryRecordArrivesOnce) {
  constexpr int kRecords = 2000;
  std::string why;
  const std::unique_ptr<testing::LossyNamespace> lossy = testing::LossyNamespace::Make(20, &why);
  if (lossy == nullptr) TOIL_SKIP_OR_FAIL_UNDER_CI(why);
  const std::string out = testing::TempPath("lossy.jsonl");
  const std::string logs = testing::TempPath("lossy-logs");
  std::vector<std::string> argv = {"/usr/sbin/ip",   "netns",           "exec",
                                   lossy->name(),    testing::Tool(),   "run",
                                   "--jobs=2",       "--capture=false", "--log_dir=" + logs,
                                   "--format=jsonl", "--output=" + out, "--"};
  for (const std::string& arg : JobArgv({"count", std::to_string(kRecords)})) argv.push_back(arg);
  const ProcessResult run = testing::RunProcess(
      argv,
      {{"PYTHONPATH", testing::PythonPackagePath()}, {"TOIL_RT_LOGGING_OVERFLOW", "wait:60s"}},
      absl::Seconds(240));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(2 * kRecords, " records received")));
  EXPECT_THAT(run.err, ::testing::ContainsRegex(" ([2-9]|[1-9][0-9]+) stream connections"));
  // A line naming no job would count as a job "" of its own.
  const std::map<std::string, std::map<int, int>> by_job =
      testing::CountsByJob(testing::ReadFile(out), "record ");
  ASSERT_EQ(by_job.size(), 2u);
  ASSERT_EQ(by_job.count(""), 0u);
  for (const auto& [job, counts] : by_job) {
    // What the job itself said, when it did not deliver all.
    EXPECT_TRUE(testing::ExactlyOnce(counts, kRecords))
        << job << "; its log:\n"
        << testing::ReadFile(absl::StrCat(logs, "/", job, ".log"));
  }
}

// The user guide's example of the handler in a program of one's own, as
// written, with a serve's variables.
TEST(PythonHandlerTest, TheUserGuidesExampleSendsASignedRecord) {
  const std::string guide = testing::ReadFile(Runfile("docs/user-guide.md"));
  const size_t marker = guide.find("<!-- tests/python_handler_test.cc runs the next block");
  ASSERT_NE(marker, std::string::npos);
  const size_t start = guide.find('\n', guide.find("```python", marker)) + 1;
  const std::string example = guide.substr(start, guide.find("\n```", start) + 1 - start);
  const std::string out = testing::TempPath("guide.jsonl");
  Serve serve({"--format=jsonl", "--output=" + out});
  const ProcessResult run = testing::RunProcess({kPython, "-c", example}, JobEnv(serve));
  ASSERT_EQ(run.exit_code, 0) << example << run.err;
  serve.Stop();
  const std::vector<google::protobuf::Struct> records = testing::ReadJsonLines(out);
  ASSERT_EQ(records.size(), 1u) << testing::ReadFile(out);
  EXPECT_EQ(StringField(records[0], "message"), "disk 90% full");
  EXPECT_TRUE(records[0].fields().at("signed").bool_value());
}

}  // namespace
}  // namespace toil
