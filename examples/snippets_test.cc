// The C++ examples of README.md and docs/, each compiled and run here. A
// block in a document that names this file (docs_examples_test checks it)
// is a region of this file between "// snippet: NAME" and "// end", word
// for word.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "toil/batch/local_batch_system.h"
#include "toil/rtlog/leader/log_server.h"
#include "toil/rtlog/rt_log.h"
#include "toil/rtlog/sinks/log_sink.h"
#include "toil/runner/realtime_logger.h"
#include "toil/runner/start_toil.h"

namespace {

std::string ExpensiveSummary() { return "summary"; }

void LogFromAJob(int chunks, int reads) {
  // snippet: job
  RT_LOG(INFO) << "starting on " << chunks << " chunks";
  RT_LOG_IF(WARNING, reads < 2000) << "chunk 3 has only " << reads << " reads";
  if (RT_LOG_IS_ON(DEBUG)) RT_LOG(DEBUG) << ExpensiveSummary();
  // end
}

// snippet: sink
class WarningCounter : public toil::rtlog::LogSink {
 public:
  void Send(const toil::rtlog::LogEntry& entry) override {
    if (entry.level() >= toil::rtlog::Level::kWarning) ++warnings[std::string(entry.job())];
  }
  std::map<std::string, int> warnings;  // by job
};
// end

TEST(SnippetsTest, AJobLogs) { LogFromAJob(4, 1500); }

TEST(SnippetsTest, TheLeaderInAProgram) {
  WarningCounter counter;
  // snippet: leader
  toil::batch::LocalBatchSystem batch;
  {
    toil::rtlog::RealtimeLogger logger(batch, {.level = "INFO", .sinks = {&counter}});
    // ... issue jobs: each gets TOIL_RT_LOGGING_ADDRESS, _LEVEL and _SECRET ...
    ASSERT_TRUE(batch.IssueJob({"warn-1", "/bin/true", {}}).ok());
  }  // the server stopped, its threads joined, the sinks flushed, the variables removed
  // end
  ASSERT_TRUE(batch.WaitForFinishedJob(absl::Seconds(30)).has_value());
}

TEST(SnippetsTest, StartToilRunsAWorkflow) {
  // snippet: start_toil
  toil::batch::LocalBatchSystem batch;
  std::vector<toil::batch::JobSpec> jobs = {{"align-1", "/bin/echo", {"chunk", "1"}},
                                            {"align-2", "/bin/echo", {"chunk", "2"}}};
  absl::StatusOr<toil::runner::WorkflowResult> result =
      toil::runner::StartToil({.realtime_logging = {.level = "INFO"}}, batch, jobs);
  // result->exit_code: 0 when every job succeeded; result->jobs: how each ended
  // end
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->jobs.size(), 2u);
}

TEST(SnippetsTest, ALogServerOnItsOwn) {
  WarningCounter my_sink;
  toil::batch::LocalBatchSystem batch;
  // snippet: log_server
  absl::StatusOr<std::unique_ptr<toil::rtlog::LogServer>> server = toil::rtlog::LogServer::Start(
      {.level = toil::rtlog::Level::kDebug, .listen = {.bind_host = "0.0.0.0"}}, {&my_sink});
  if (!server.ok()) return;  // names the address or the port
  for (const auto& [name, value] : (*server)->JobEnvironment()) {
    batch.SetEnv(name, value);  // TOIL_RT_LOGGING_ADDRESS, _LEVEL, _SECRET, _PACKED
  }
  // ... jobs run ...
  toil::rtlog::LogStats stats = (*server)->Stop();  // takes in what is queued first
  // end
  EXPECT_EQ(stats.records, 0u);
}

}  // namespace
