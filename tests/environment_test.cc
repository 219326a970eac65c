// The environment contract (docs/reference.md, "The environment"), one test per
// case: real job processes (tests/test_job, `toil-rtlog send`) configured by
// their environment, and a real leader (LogServer) receiving over UDP.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "toil/batch/local_batch_system.h"
#include "toil/rtlog/leader/log_server.h"
#include "toil/runner/realtime_logger.h"

namespace toil {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::RunProcess;

using testing::TestJob;
using testing::Tool;

// A leader that requires signatures, collecting what arrives.
class Leader {
 public:
  Leader() {
    server_ = *rtlog::LogServer::Start({.level = rtlog::Level::kInfo, .control = "off"}, {&sink_});
  }
  std::string address() const { return server_->address(); }
  std::string secret() const { return server_->JobEnvironment().at("TOIL_RT_LOGGING_SECRET"); }
  // Stops (taking in what is queued) and returns the messages received.
  std::vector<std::string> Received() {
    stats_ = server_->Stop();
    std::vector<std::string> messages;
    for (const auto& entry : sink_.entries()) messages.push_back(entry.message);
    return messages;
  }
  const rtlog::LogStats& stats() const { return stats_; }
  const testing::CollectingSink& sink() const { return sink_; }

 private:
  testing::CollectingSink sink_;
  std::unique_ptr<rtlog::LogServer> server_;
  rtlog::LogStats stats_;
};

// `test_job mixed` (DEBUG, INFO, WARNING, ERROR) and `test_job critical`.
ProcessResult RunMixed(const std::vector<testing::EnvChange>& env) {
  ProcessResult mixed = RunProcess({TestJob(), "mixed"}, env);
  const ProcessResult critical = RunProcess({TestJob(), "critical"}, env);
  mixed.err += critical.err;
  EXPECT_EQ(mixed.exit_code, 0) << mixed.err;
  EXPECT_EQ(critical.exit_code, 0) << critical.err;
  return mixed;
}

TEST(EnvironmentTest, NoLevelMeansOffWithOnlyCriticalOnStderr) {
  Leader leader;
  const ProcessResult job = RunMixed({{"TOIL_RT_LOGGING_LEVEL", std::nullopt},
                                      {"TOIL_RT_LOGGING_ADDRESS", leader.address()},
                                      {"TOIL_RT_LOGGING_SECRET", leader.secret()}});
  EXPECT_TRUE(leader.Received().empty());
  EXPECT_THAT(job.err, HasSubstr("critical record"));
  EXPECT_THAT(job.err, Not(HasSubstr("warning record")));
  EXPECT_THAT(job.err, Not(HasSubstr("warning:")));  // no complaint: off is fine
}

TEST(EnvironmentTest, ALevelWithoutAnAddressWritesStderrOnlyAtThatLevel) {
  const ProcessResult job =
      RunMixed({{"TOIL_RT_LOGGING_LEVEL", "warning"}, {"TOIL_RT_LOGGING_ADDRESS", std::nullopt}});
  EXPECT_THAT(job.err, HasSubstr("warning record"));
  EXPECT_THAT(job.err, HasSubstr("error record"));
  EXPECT_THAT(job.err, HasSubstr("critical record"));
  EXPECT_THAT(job.err, Not(HasSubstr("debug record")));
  EXPECT_THAT(job.err, Not(HasSubstr("verbatim")));  // the INFO record
}

TEST(EnvironmentTest, BothSendEachRecordAndWriteItToStderr) {
  Leader leader;
  const ProcessResult job = RunMixed({{"TOIL_RT_LOGGING_LEVEL", "INFO"},
                                      {"TOIL_RT_LOGGING_ADDRESS", leader.address()},
                                      {"TOIL_RT_LOGGING_SECRET", leader.secret()},
                                      {"TOIL_JOB_NAME", "named/7"}});
  const std::vector<std::string> received = leader.Received();
  EXPECT_EQ(received.size(), 5u);  // INFO, WARNING, ERROR; CRITICAL, INFO
  EXPECT_THAT(job.err, HasSubstr("warning record"));
  EXPECT_THAT(job.err, Not(HasSubstr("debug record")));
  // TOIL_JOB_NAME names the job on the leader.
  for (const auto& entry : leader.sink().entries()) EXPECT_EQ(entry.record.job(), "named/7");
  EXPECT_EQ(leader.stats().refused(), 0u);
}

TEST(EnvironmentTest, AMalformedLevelWarnsAndLogsLocallyAtInfo) {
  Leader leader;
  const std::vector<testing::EnvChange> env = {{"TOIL_RT_LOGGING_LEVEL", "garbage"},
                                               {"TOIL_RT_LOGGING_ADDRESS", leader.address()},
                                               {"TOIL_RT_LOGGING_SECRET", leader.secret()}};
  const ProcessResult job = RunMixed(env);
  // The documented case: a shell-script job's send is kept locally.
  const ProcessResult send = RunProcess({Tool(), "send", "--level=ERROR", "boom"}, env);
  EXPECT_TRUE(leader.Received().empty());
  for (const ProcessResult* result : {&job, &send}) {
    EXPECT_THAT(result->err, HasSubstr("TOIL_RT_LOGGING_LEVEL=\"garbage\" is not a log level"));
    EXPECT_THAT(result->err, HasSubstr("written to stderr only"));
  }
  EXPECT_THAT(job.err, HasSubstr("verbatim"));  // INFO kept
  EXPECT_THAT(job.err, Not(HasSubstr("debug record")));
  EXPECT_EQ(send.exit_code, 0) << send.err;
  EXPECT_THAT(send.err, HasSubstr("ERROR    boom"));
}

TEST(EnvironmentTest, AMalformedAddressWarnsAndLogsLocallyAtTheLevel) {
  const ProcessResult job = RunMixed(
      {{"TOIL_RT_LOGGING_LEVEL", "DEBUG"}, {"TOIL_RT_LOGGING_ADDRESS", "leader-without-port"}});
  EXPECT_THAT(job.err, HasSubstr("TOIL_RT_LOGGING_ADDRESS=\"leader-without-port\" is not usable"));
  EXPECT_THAT(job.err, HasSubstr("debug record"));
}

TEST(EnvironmentTest, AMalformedSecretIsNotShownAndItsRecordsAreRefused) {
  Leader leader;
  const std::string bad = "not-a-secret-0123456789";
  const ProcessResult job = RunMixed({{"TOIL_RT_LOGGING_LEVEL", "INFO"},
                                      {"TOIL_RT_LOGGING_ADDRESS", leader.address()},
                                      {"TOIL_RT_LOGGING_SECRET", bad}});
  EXPECT_TRUE(leader.Received().empty());
  EXPECT_EQ(leader.stats().unsigned_refused, 5u);
  EXPECT_THAT(job.err, HasSubstr("TOIL_RT_LOGGING_SECRET is not usable"));
  EXPECT_THAT(job.err, Not(HasSubstr(bad)));
  EXPECT_THAT(job.err, HasSubstr("verbatim"));  // still in its own log
}

TEST(EnvironmentTest, JobsAreGivenTheLeaderButNeverItsControlPlane) {
  batch::LocalBatchSystem batch_system;
  std::string output;
  {
    rtlog::RealtimeLogger logger(batch_system,
                                 {.level = "INFO", .server = {.control = "127.0.0.1:0"}});
    ASSERT_TRUE(logger.started()) << logger.status();
    ASSERT_FALSE(rtlog::RealtimeLogger::ControlToken().empty());
    ASSERT_TRUE(batch_system.IssueJob({"env-job", TestJob(), {"env"}}).ok());
    std::optional<batch::FinishedJob> done =
        batch_system.WaitForFinishedJob(testing::Scaled(absl::Seconds(60)));
    ASSERT_TRUE(done.has_value());
    output = testing::ReadFile(done->log_path);
  }
  EXPECT_THAT(output, HasSubstr("TOIL_RT_LOGGING_ADDRESS=127.0.0.1:"));
  EXPECT_THAT(output, HasSubstr("TOIL_RT_LOGGING_LEVEL=INFO"));
  EXPECT_THAT(output, HasSubstr("TOIL_JOB_NAME=env-job"));
  EXPECT_THAT(output, HasSubstr("TOIL_RT_LOGGING_CONTROL=<unset>"));
  EXPECT_THAT(output, HasSubstr("TOIL_RT_LOGGING_CONTROL_TOKEN=<unset>"));
}

}  // namespace
}  // namespace toil
