// End-to-end tests of real-time logging: a RealtimeLogger in this process,
// jobs as real child processes on the LocalBatchSystem, records over real
// UDP sockets.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "toil/batch/local_batch_system.h"
#include "toil/rtlog/leader/ingest/udp_socket.h"
#include "toil/rtlog/rt_log.h"
#include "toil/runner/realtime_logger.h"
#include "toil/runner/start_toil.h"

namespace toil {
namespace {

using testing::CollectingSink;
using ::testing::HasSubstr;
using ::testing::Not;

using testing::TestJob;

// Runs one job to completion; returns its finished state.
batch::FinishedJob RunJob(batch::LocalBatchSystem& batch_system,
                          const std::vector<std::string>& args,
                          const std::string& name = "test-job") {
  EXPECT_TRUE(batch_system.IssueJob({name, TestJob(), args}).ok());
  while (true) {
    std::optional<batch::FinishedJob> done =
        batch_system.WaitForFinishedJob(testing::Scaled(absl::Seconds(60)));
    EXPECT_TRUE(done.has_value()) << "job did not finish";
    if (done) return *done;
  }
}

// Toil's own acceptance test for its real-time logger.
TEST(RealtimeLoggingTest, LeaderAtInfoShowsInfoAndNeverDebug) {
  batch::LocalBatchSystem batch_system;
  CollectingSink sink;
  {
    rtlog::RealtimeLogger logger(batch_system, {.level = "INFO", .sinks = {&sink}});
    ASSERT_TRUE(logger.started()) << logger.status();
    batch::FinishedJob job = RunJob(batch_system, {"levels"}, "acceptance");
    EXPECT_EQ(job.exit_code, 0);
  }
  const auto entries = sink.entries();
  ASSERT_EQ(entries.size(), 1u);
  const auto& entry = entries[0];
  EXPECT_EQ(entry.message, "This should be logged at info level");
  EXPECT_EQ(entry.record.levelname(), "INFO");
  EXPECT_EQ(entry.record.levelno(), 20);
  EXPECT_EQ(entry.record.name(), "toil-rt");
  EXPECT_EQ(entry.record.job(), "acceptance");
  EXPECT_EQ(entry.record.filename(), "test_job.cc");
  EXPECT_EQ(entry.record.func_name(), "main");
  EXPECT_GT(entry.record.lineno(), 0);
  EXPECT_GT(entry.record.process(), 0);
  EXPECT_NE(entry.record.process(), getpid());
  EXPECT_FALSE(entry.record.hostname().empty());
  EXPECT_GT(entry.record.created(), 1.7e9);
  EXPECT_TRUE(absl::StartsWith(entry.sender, "127.0.0.1:")) << entry.sender;
}

TEST(RealtimeLoggingTest, JobsGetTheVariablesAndTheLevelIsCanonical) {
  batch::LocalBatchSystem batch_system;
  CollectingSink sink;
  rtlog::RealtimeLogger logger(batch_system, {.level = "warning", .sinks = {&sink}});
  ASSERT_TRUE(logger.started());
  const auto env = batch_system.GetEnvironment();
  EXPECT_EQ(env.at("TOIL_RT_LOGGING_LEVEL"), "WARNING");
  EXPECT_EQ(env.at("TOIL_RT_LOGGING_ADDRESS"), rtlog::RealtimeLogger::Address());
  // Jobs run only locally, so the server listens on loopback.
  EXPECT_TRUE(absl::StartsWith(rtlog::RealtimeLogger::Address(), "127.0.0.1:"));
  batch::FinishedJob job = RunJob(batch_system, {"env"}, "env-job");
  const std::string output = testing::ReadFile(job.log_path);
  EXPECT_THAT(output, HasSubstr("TOIL_RT_LOGGING_LEVEL=WARNING"));
  EXPECT_THAT(output, HasSubstr("TOIL_RT_LOGGING_ADDRESS=" + rtlog::RealtimeLogger::Address()));
  EXPECT_THAT(output, HasSubstr("TOIL_JOB_NAME=env-job"));
}

TEST(RealtimeLoggingTest, EmptyLevelDisablesEverything) {
  batch::LocalBatchSystem batch_system;
  CollectingSink sink;
  rtlog::RealtimeLogger logger(batch_system, {.level = "", .sinks = {&sink}});
  EXPECT_FALSE(logger.started());
  EXPECT_TRUE(logger.status().ok());
  EXPECT_EQ(rtlog::RealtimeLogger::Address(), "");
  EXPECT_TRUE(batch_system.GetEnvironment().empty());
  batch::FinishedJob job = RunJob(batch_system, {"env"});
  EXPECT_EQ(job.exit_code, 0);
  const std::string output = testing::ReadFile(job.log_path);
  EXPECT_THAT(output, HasSubstr("TOIL_RT_LOGGING_ADDRESS=<unset>"));
  EXPECT_THAT(output, HasSubstr("TOIL_RT_LOGGING_LEVEL=<unset>"));
  // With no level, an INFO record is not even written locally.
  EXPECT_THAT(output, Not(HasSubstr("env job ran")));
  EXPECT_TRUE(sink.entries().empty());
}

TEST(RealtimeLoggingTest, BadLevelIsAClearErrorAndNoServer) {
  batch::LocalBatchSystem batch_system;
  rtlog::RealtimeLogger logger(batch_system, {.level = "LOUD"});
  EXPECT_FALSE(logger.started());
  EXPECT_THAT(std::string(logger.status().message()), HasSubstr("LOUD"));
  EXPECT_TRUE(batch_system.GetEnvironment().empty());
}

TEST(RealtimeLoggingTest, VariablesAreRemovedAfterTheScope) {
  batch::LocalBatchSystem batch_system;
  CollectingSink sink;
  {
    rtlog::RealtimeLogger logger(batch_system, {.level = "INFO", .sinks = {&sink}});
    EXPECT_EQ(batch_system.GetEnvironment().size(), 5u);
    EXPECT_EQ(batch_system.GetEnvironment().at("TOIL_RT_LOGGING_SECRET").size(), 64u);
    // TCP, at the UDP port's number unless that one was taken.
    EXPECT_TRUE(
        absl::StartsWith(batch_system.GetEnvironment().at("TOIL_RT_LOGGING_STREAM"), "127.0.0.1:"));
    EXPECT_EQ(batch_system.GetEnvironment().at("TOIL_RT_LOGGING_PACKED"), "8192");
  }
  EXPECT_TRUE(batch_system.GetEnvironment().empty());
  EXPECT_EQ(rtlog::RealtimeLogger::Address(), "");
  batch::FinishedJob job = RunJob(batch_system, {"env"});
  EXPECT_THAT(testing::ReadFile(job.log_path), HasSubstr("TOIL_RT_LOGGING_ADDRESS=<unset>"));
}

TEST(RealtimeLoggingTest, OnlyTheOutermostScopeStartsAndStops) {
  batch::LocalBatchSystem batch_system;
  CollectingSink sink;
  rtlog::RealtimeLogger outer(batch_system, {.level = "INFO", .sinks = {&sink}});
  ASSERT_TRUE(outer.started());
  const std::string address = rtlog::RealtimeLogger::Address();
  {
    CollectingSink other;
    rtlog::RealtimeLogger inner(batch_system, {.level = "DEBUG", .sinks = {&other}});
    EXPECT_FALSE(inner.started());
    EXPECT_EQ(rtlog::RealtimeLogger::Address(), address);
    EXPECT_EQ(batch_system.GetEnvironment().at("TOIL_RT_LOGGING_LEVEL"), "INFO");
  }
  // The inner scope's end stopped nothing: records still arrive.
  EXPECT_EQ(rtlog::RealtimeLogger::Address(), address);
  RunJob(batch_system, {"count", "3"});
  EXPECT_TRUE(sink.WaitFor(3, absl::Seconds(30)));
}

TEST(RealtimeLoggingTest, RtLogInTheLeaderIsShownOnce) {
  batch::LocalBatchSystem batch_system;
  CollectingSink sink;
  {
    rtlog::RealtimeLogger logger(batch_system, {.level = "INFO", .sinks = {&sink}});
    RT_LOG(INFO) << "from the leader";
    RT_LOG(DEBUG) << "leader debug, below the level";
  }
  const auto entries = sink.entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].message, "from the leader");
  EXPECT_EQ(entries[0].sender, "local");
  EXPECT_EQ(entries[0].record.process(), getpid());
}

TEST(RealtimeLoggingTest, EightThreadsTimesAThousandArriveExactlyOnce) {
  batch::LocalBatchSystem batch_system;
  CollectingSink sink;
  {
    rtlog::RealtimeLogger logger(batch_system, {.level = "INFO", .sinks = {&sink}});
    EXPECT_EQ(RunJob(batch_system, {"threads", "8", "1000"}).exit_code, 0);
  }
  EXPECT_EQ(rtlog::RealtimeLogger::Stats().dropped, 0u);
  std::set<std::string> seen;
  std::set<uint64_t> threads;
  for (const auto& entry : sink.entries()) {
    EXPECT_TRUE(seen.insert(entry.message).second) << "twice: " << entry.message;
    threads.insert(entry.record.thread());
  }
  EXPECT_EQ(seen.size(), 8000u);
  for (int t = 0; t < 8; ++t) {
    for (int i = 0; i < 1000; i += 999) {
      EXPECT_TRUE(seen.count(absl::StrCat("t=", t, " i=", i))) << t << " " << i;
    }
  }
  EXPECT_EQ(threads.size(), 8u);  // each record names its own OS thread
}

TEST(RealtimeLoggingTest, KernelDropsAreCountedAndReportedAtTheEnd) {
  batch::LocalBatchSystem batch_system;
  testing::StalledSink sink;
  const std::string err_path = std::string(std::getenv("TEST_TMPDIR")) + "/leader_err.txt";
  const int saved_err = dup(STDERR_FILENO);
  const int err_file = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(err_file, STDERR_FILENO);
  {
    rtlog::RealtimeLogger logger(
        batch_system, {.level = "INFO",
                       .sinks = {&sink},
                       .server = {.listen = {.receive_buffer_bytes = 64 * 1024}, .stream = false}});
    // The whole job runs while the leader is stalled on its first record, so
    // its 5,000 records overflow the small socket buffer and the leader's
    // ring (a quarter of that buffer, at least 128 KiB: a few hundred
    // records), however fast or slow the machine is. Datagrams only (a
    // stream would wait for the leader), one record per datagram (as for a
    // Python leader), so that the kernel's count of dropped datagrams is a
    // count of records.
    batch_system.UnsetEnv("TOIL_RT_LOGGING_PACKED");
    EXPECT_EQ(RunJob(batch_system, {"count", "5000"}).exit_code, 0);
    sink.Release();
  }
  dup2(saved_err, STDERR_FILENO);
  close(saved_err);
  close(err_file);
  const uint64_t dropped = rtlog::RealtimeLogger::Stats().dropped;
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(sink.count() + dropped, 5000u);
  EXPECT_EQ(rtlog::RealtimeLogger::Stats().records, sink.count());
  EXPECT_THAT(testing::ReadFile(err_path),
              HasSubstr(absl::StrCat(dropped, dropped == 1 ? " datagram" : " datagrams",
                                     " dropped by the kernel")));
}

// A 1 MB message of two-byte characters, end to end, signed: it arrives as
// one record, cut at a character boundary to fit a datagram, with a marker
// giving its original length. The job's own stderr shows it cut the same
// way (the job queues at most 64 KiB of a message).
TEST(RealtimeLoggingTest, AOneMegabyteMessageArrivesCutWithItsOriginalLength) {
  batch::LocalBatchSystem batch_system;
  CollectingSink sink;
  batch::FinishedJob job;
  {
    rtlog::RealtimeLogger logger(batch_system, {.level = "INFO", .sinks = {&sink}});
    ASSERT_TRUE(logger.started()) << logger.status();
    job = RunJob(batch_system, {"bigutf8", "1000000"});
    EXPECT_EQ(job.exit_code, 0);
  }
  EXPECT_EQ(rtlog::RealtimeLogger::Stats().forged, 0u);
  const auto entries = sink.entries();
  ASSERT_EQ(entries.size(), 1u);
  const std::string& message = entries[0].message;
  EXPECT_EQ(entries[0].authenticity, rtlog::Authenticity::kSigned);
  EXPECT_GT(message.size(), 60000u);
  EXPECT_LT(message.size(), 65507u);
  const size_t marker = message.find(" [cut: 1000000 bytes, ");
  ASSERT_NE(marker, std::string::npos) << message.substr(message.size() - 100);
  // Whole characters only before the marker.
  const std::string kept = message.substr(0, marker);
  EXPECT_EQ(kept.size() % 2, 0u);
  EXPECT_EQ(kept.find_first_not_of("\xC3\xA9"), std::string::npos);
  for (size_t i = 0; i < kept.size(); i += 2) {
    ASSERT_EQ(kept.compare(i, 2, "\xC3\xA9"), 0) << "at " << i;
  }
  EXPECT_THAT(testing::ReadFile(job.log_path), HasSubstr(" [cut: 1000000 bytes, "));
}

TEST(RealtimeLoggingTest, Ipv6Loopback) {
  batch::LocalBatchSystem batch_system;
  CollectingSink sink;
  {
    rtlog::RealtimeLogger logger(
        batch_system,
        {.level = "INFO", .sinks = {&sink}, .server = {.listen = {.bind_host = "::1"}}});
    ASSERT_TRUE(logger.started()) << logger.status();
    EXPECT_TRUE(absl::StartsWith(rtlog::RealtimeLogger::Address(), "[::1]:"))
        << rtlog::RealtimeLogger::Address();
    RunJob(batch_system, {"count", "5"});
  }
  const auto entries = sink.entries();
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_TRUE(absl::StartsWith(entries[0].sender, "[::1]:")) << entries[0].sender;
}

// Without toil-rtlog anywhere (no TOIL_RTLOG_BIN, not in PATH), a local
// batch system's jobs' output still reaches the leader: this process reads it.
TEST(RealtimeLoggingTest, StartToilRunsJobsWithinTheLoggersLifetime) {
  batch::LocalBatchSystem batch_system({.max_parallel = 3});
  CollectingSink sink;
  runner::ToilOptions options;
  options.realtime_logging.sinks = {&sink};
  std::vector<batch::JobSpec> jobs;
  for (int i = 0; i < 3; ++i) {
    jobs.push_back({absl::StrCat("job-", i), TestJob(), {"count", "4"}});
  }
  jobs.push_back({"fails", TestJob(), {"no-such-mode"}});
  absl::StatusOr<runner::WorkflowResult> result = runner::StartToil(options, batch_system, jobs);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->jobs.size(), 4u);
  EXPECT_EQ(result->exit_code, 2);  // the failing job's status
  size_t logged = 0;
  std::vector<std::string> printed;
  for (const CollectingSink::Entry& entry : sink.entries()) {
    if (entry.record.name() == "toil-rt") ++logged;
    if (entry.record.name() == "stderr") printed.push_back(entry.record.job());
  }
  EXPECT_EQ(logged, 12u);
  // What the failing job said on its stderr, captured, named by the job.
  EXPECT_THAT(printed, ::testing::Contains("fails"));
  EXPECT_THAT(printed, ::testing::Each("fails"));
  EXPECT_EQ(result->logging.records, sink.entries().size());
  EXPECT_TRUE(batch_system.GetEnvironment().empty());
}

// A UDP port with nothing listening on it.
int ClosedPort() {
  auto bound = rtlog::internal::BindUdpSocket({{"127.0.0.1", 0, 0}});
  EXPECT_TRUE(bound.ok());
  close(bound->fd);
  return bound->address.port();
}

TEST(JobSideTest, LeaderNotRunningTheJobStillSucceedsPromptly) {
  const testing::ProcessResult result =
      testing::RunProcess({TestJob(), "count", "200"},
                          {{"TOIL_RT_LOGGING_ADDRESS", absl::StrCat("127.0.0.1:", ClosedPort())},
                           {"TOIL_RT_LOGGING_LEVEL", "INFO"}},
                          absl::Seconds(60));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  // All 200 records are in the job's own log...
  EXPECT_THAT(result.err, HasSubstr("record 199"));
  // ...the first failure is reported once, and the loss is counted at exit.
  size_t warnings = 0;
  for (size_t at = 0; (at = result.err.find("cannot send", at)) != std::string::npos; ++at) {
    ++warnings;
  }
  EXPECT_LE(warnings, 1u);
  EXPECT_THAT(result.err, HasSubstr("records could not be sent to the leader"));
}

TEST(JobSideTest, UnresolvableLeaderFallsBackToStderr) {
  const testing::ProcessResult result = testing::RunProcess(
      {TestJob(), "count", "3"}, {{"TOIL_RT_LOGGING_ADDRESS", "no-such-host.invalid:5000"},
                                  {"TOIL_RT_LOGGING_LEVEL", "INFO"}});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("TOIL_RT_LOGGING_ADDRESS=no-such-host.invalid:5000"));
  EXPECT_THAT(result.err, HasSubstr("record 2"));
}

TEST(JobSideTest, MalformedVariablesGiveOneClearWarningEach) {
  testing::ProcessResult result = testing::RunProcess(
      {TestJob(), "count", "3"},
      {{"TOIL_RT_LOGGING_ADDRESS", "localhost"}, {"TOIL_RT_LOGGING_LEVEL", "info"}});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("TOIL_RT_LOGGING_ADDRESS=\"localhost\" is not usable: "
                                    "bad address \"localhost\": no port"));
  EXPECT_THAT(result.err, HasSubstr("record 2"));  // still logged locally

  result = testing::RunProcess(
      {TestJob(), "count", "3"},
      {{"TOIL_RT_LOGGING_ADDRESS", "127.0.0.1:9"}, {"TOIL_RT_LOGGING_LEVEL", "verbose"}});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("TOIL_RT_LOGGING_LEVEL=\"verbose\" is not a log level"));
  // Local-only logging: the job's own log keeps its records.
  EXPECT_THAT(result.err, HasSubstr("record 0"));
}

TEST(JobSideTest, WithoutALevelOnlyCriticalIsWrittenLocally) {
  const testing::ProcessResult result = testing::RunProcess(
      {TestJob(), "critical"},
      {{"TOIL_RT_LOGGING_ADDRESS", std::nullopt}, {"TOIL_RT_LOGGING_LEVEL", std::nullopt}});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("CRITICAL test_job.cc:"));
  EXPECT_THAT(result.err, HasSubstr("critical record"));
  EXPECT_THAT(result.err, Not(HasSubstr("info record")));
}

}  // namespace
}  // namespace toil
