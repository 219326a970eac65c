// Real-time logging on a real Slurm cluster (tests/slurm_cluster.h): the
// leader here, in the root network namespace, and its jobs submitted with
// sbatch to two slurmd nodes in namespaces of their own, so every record
// crosses a (virtual) network to a non-loopback leader address.
//
// Needs root; where the cluster cannot start, each test fails under CI=true
// and is skipped with the reason otherwise. The tests run in order: the last
// two break the cluster on purpose (a node lost, the controller killed).
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/slurm_cluster.h"
#include "tests/test_util.h"
#include "toil/batch/command_runner.h"
#include "toil/batch/slurm_batch_system.h"
#include "toil/runner/realtime_logger.h"

namespace toil {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using testing::Runfile;
using testing::SlurmCluster;

using testing::TestJob;

class SlurmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    why_ = new std::string();
    cluster_ = SlurmCluster::Start(why_).release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    if (cluster_ == nullptr) TOIL_SKIP_OR_FAIL_UNDER_CI(*why_);
  }
  // After a failure, what the controller and the nodes said last (a node
  // Slurm declared down says why here).
  void TearDown() override {
    if (!HasFailure() || cluster_ == nullptr) return;
    for (const char* log : {"slurmctld.log", "slurmd-node1.log", "slurmd-node2.log"}) {
      const std::string text = testing::ReadFile(absl::StrCat(cluster_->dir(), "/", log));
      const size_t from = text.size() > 4000 ? text.find('\n', text.size() - 4000) : 0;
      std::printf("--- the end of %s ---\n%s\n", log,
                  text.substr(from == std::string::npos ? 0 : from).c_str());
    }
  }

  // Options for a batch system on the test's cluster: logs in the test's
  // own directory, quick polling.
  batch::SlurmOptions Options(const std::string& name) {
    batch::SlurmOptions options;
    options.log_dir = testing::TempPath(name);
    options.poll_interval = absl::Milliseconds(100);
    options.max_poll_interval = absl::Seconds(1);
    return options;
  }

  // Waits for every job issued to `slurm`; fails the test on the deadline.
  std::vector<batch::FinishedJob> WaitForAll(batch::SlurmBatchSystem& slurm,
                                             absl::Duration timeout) {
    std::vector<batch::FinishedJob> done;
    const absl::Time deadline = absl::Now() + testing::Scaled(timeout);
    while (slurm.UnfinishedJobs() > 0 && absl::Now() < deadline) {
      std::optional<batch::FinishedJob> job = slurm.WaitForFinishedJob(absl::Milliseconds(500));
      if (job) done.push_back(*std::move(job));
    }
    EXPECT_EQ(slurm.UnfinishedJobs(), 0) << "jobs still unfinished after " << timeout;
    return done;
  }

  static SlurmCluster* cluster_;
  static std::string* why_;
};

SlurmCluster* SlurmTest::cluster_ = nullptr;
std::string* SlurmTest::why_ = nullptr;

TEST_F(SlurmTest, EveryRecordOfEveryJobArrivesOnceTaggedWithItsNode) {
  batch::SlurmBatchSystem slurm(Options("every-record"));
  testing::CollectingSink sink;
  std::map<std::string, std::string> host_of;  // job -> its node
  {
    rtlog::RealtimeLogger logger(slurm, {.level = "INFO", .sinks = {&sink}});
    ASSERT_TRUE(logger.started()) << logger.status();
    // Not loopback: the address on the route toward the controller.
    EXPECT_TRUE(
        absl::StartsWith(rtlog::RealtimeLogger::Address(), cluster_->bridge_address() + ":"))
        << rtlog::RealtimeLogger::Address();
    for (int i = 1; i <= 6; ++i) {
      ASSERT_TRUE(slurm.IssueJob({absl::StrCat("slurm-job-", i), TestJob(), {"count", "50"}}).ok());
    }
    for (const batch::FinishedJob& job : WaitForAll(slurm, absl::Seconds(120))) {
      EXPECT_EQ(job.exit_code, 0) << job.name << " (" << job.reason
                                  << "): " << testing::ReadFile(job.log_path);
      EXPECT_THAT(job.host, AnyOf("node1", "node2")) << job.name;
      host_of[job.name] = job.host;
    }
  }
  const rtlog::LogStats stats = rtlog::RealtimeLogger::Stats();
  EXPECT_EQ(stats.records, 300u);
  EXPECT_EQ(stats.lost + stats.dropped + stats.malformed + stats.duplicates + stats.refused(), 0u)
      << rtlog::DescribeLogStats(stats);
  std::map<std::string, std::set<std::string>> messages;
  std::set<std::string> hosts;
  for (const auto& entry : sink.entries()) {
    const std::string& job = entry.record.job();
    EXPECT_TRUE(messages[job].insert(entry.message).second) << "twice: " << entry.message;
    EXPECT_EQ(entry.record.hostname(), host_of[job]) << job;
    // Sent from the node's own address, across the bridge.
    const std::string node_address =
        absl::StrCat(cluster_->subnet(), entry.record.hostname() == "node1" ? ".11:" : ".12:");
    EXPECT_TRUE(absl::StartsWith(entry.sender, node_address)) << entry.sender;
    EXPECT_EQ(entry.authenticity, rtlog::Authenticity::kSigned);
    hosts.insert(entry.record.hostname());
  }
  EXPECT_EQ(messages.size(), 6u);
  for (const auto& [job, seen] : messages) EXPECT_EQ(seen.size(), 50u) << job;
  EXPECT_EQ(hosts.size(), 2u) << "the jobs did not spread over both nodes";
}

// Each line a job prints on a compute node reaches the leader, live, named
// by its job, its node and its stream, under `toil-rtlog exec`; the job's
// exit status stays its own. A node without the capture program runs the
// job as it is and says so in the job's log.
TEST_F(SlurmTest, EachLineAJobPrintsOnItsNodeReachesTheLeader) {
  batch::SlurmOptions options = Options("captured");
  options.capture_with = testing::Tool();
  batch::SlurmBatchSystem slurm(options);
  testing::CollectingSink sink;
  std::map<std::string, batch::FinishedJob> ended;
  {
    rtlog::RealtimeLogger logger(slurm, {.level = "INFO", .sinks = {&sink}});
    ASSERT_TRUE(logger.started()) << logger.status();
    for (int i = 1; i <= 6; ++i) {
      const std::string script =
          absl::StrCat("echo printed by ", i, " on $(hostname); echo complaint >&2; exit ", i % 2);
      ASSERT_TRUE(slurm.IssueJob({absl::StrCat("printer-", i), "/bin/sh", {"-c", script}}).ok());
    }
    for (batch::FinishedJob& job : WaitForAll(slurm, absl::Seconds(120))) {
      ended[job.name] = std::move(job);
    }
  }
  ASSERT_EQ(ended.size(), 6u);
  std::map<std::string, std::vector<std::string>> lines;  // job -> "stream: text"
  std::set<std::string> hosts;
  for (const auto& entry : sink.entries()) {
    const batch::FinishedJob& job = ended[entry.record.job()];
    EXPECT_EQ(entry.record.hostname(), job.host) << entry.message;
    EXPECT_EQ(entry.authenticity, rtlog::Authenticity::kSigned);
    lines[job.name].push_back(absl::StrCat(entry.record.name(), ": ", entry.message));
    hosts.insert(entry.record.hostname());
  }
  for (int i = 1; i <= 6; ++i) {
    const batch::FinishedJob& job = ended[absl::StrCat("printer-", i)];
    EXPECT_EQ(job.exit_code, i % 2) << job.name << ": " << testing::ReadFile(job.log_path);
    EXPECT_THAT(lines[job.name],
                ::testing::UnorderedElementsAre(
                    absl::StrCat("stdout: printed by ", i, " on ", job.host), "stderr: complaint"))
        << job.name;
    EXPECT_EQ(testing::ReadFile(job.log_path),
              absl::StrCat("printed by ", i, " on ", job.host, "\ncomplaint\n"));
  }
  EXPECT_EQ(hosts.size(), 2u) << "the jobs did not spread over both nodes";

  batch::SlurmOptions missing = Options("uncaptured");
  missing.capture_with = "/no/such/dir/toil-rtlog";
  batch::SlurmBatchSystem without(missing);
  ASSERT_TRUE(without.IssueJob({"plain", "/bin/sh", {"-c", "echo still runs"}}).ok());
  const std::vector<batch::FinishedJob> plain = WaitForAll(without, absl::Seconds(120));
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].exit_code, 0);
  const std::string log = testing::ReadFile(plain[0].log_path);
  EXPECT_THAT(log, HasSubstr("is not on node"));
  EXPECT_THAT(log, HasSubstr("still runs\n"));
}

TEST_F(SlurmTest, TheToolRunsTheDemoOnSlurm) {
  const std::string log_dir = testing::TempPath("demo");
  const testing::ProcessResult result = testing::RunProcess(
      {testing::Tool(), "run", "--batch_system=slurm", "--jobs=6", "--repeat_window=0",
       "--log_dir=" + log_dir, "--", Runfile("examples/demo_job"), "--steps=2", "--step_ms=50"},
      {}, absl::Seconds(180));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  for (int i = 1; i <= 6; ++i) {
    EXPECT_THAT(result.err,
                ::testing::ContainsRegex(absl::StrCat(
                    "\\[demo_job-", i, " node[12] pid [0-9]+\\] demo_job.cc:[0-9]+: done: ")))
        << result.err;
  }
  EXPECT_THAT(result.err, HasSubstr(" node1 pid "));
  EXPECT_THAT(result.err, HasSubstr(" node2 pid "));
  EXPECT_THAT(result.err, HasSubstr("6 jobs, 0 failed; "));
  EXPECT_THAT(result.err,
              HasSubstr(" 0 datagrams dropped by the kernel, 0 lost in transit, 0 duplicates"));
}

TEST_F(SlurmTest, HostileArgumentsAndNamesArriveIntact) {
  batch::SlurmBatchSystem slurm(Options("hostile"));
  const std::vector<std::string> args = {"args",
                                         "two words",
                                         "it's",
                                         "\"double\"",
                                         "$HOME",
                                         "$(id)",
                                         "`id`",
                                         "*",
                                         "a\nnew line",
                                         "tab\there",
                                         "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC",
                                         "",
                                         "--flag=1",
                                         "back\\slash",
                                         "%j %x %%",
                                         ";exit 9",
                                         "-"};
  ASSERT_TRUE(slurm.IssueJob({"odd name 'q' $x %j", TestJob(), args}).ok());
  const std::vector<batch::FinishedJob> done = WaitForAll(slurm, absl::Seconds(120));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].exit_code, 0);
  EXPECT_EQ(done[0].name, "odd name 'q' $x %j");
  std::string expected;
  for (size_t i = 1; i < args.size(); ++i) {
    absl::StrAppend(&expected, "ARG ", absl::BytesToHexString(args[i]), "\n");
  }
  const std::string output = testing::ReadFile(done[0].log_path);
  EXPECT_THAT(output, HasSubstr(expected)) << output;
  EXPECT_THAT(output, HasSubstr("HOST node"));
}

// Every /proc/<pid>/cmdline on the machine, joined.
std::string AllCommandLines() {
  std::string all;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return all;
  while (dirent* entry = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) continue;
    absl::StrAppend(&all, testing::ReadFile(absl::StrCat("/proc/", pid, "/cmdline")), "\n");
  }
  closedir(proc);
  return all;
}

TEST_F(SlurmTest, TheSecretIsNeverOnAnyCommandLine) {
  batch::SlurmBatchSystem slurm(Options("secret"));
  testing::CollectingSink sink;
  int scans = 0;
  std::string secret;
  {
    rtlog::RealtimeLogger logger(slurm, {.level = "INFO", .sinks = {&sink}});
    ASSERT_TRUE(logger.started()) << logger.status();
    secret = slurm.GetEnvironment().at("TOIL_RT_LOGGING_SECRET");
    ASSERT_EQ(secret.size(), 64u);
    for (int i = 1; i <= 4; ++i) {
      ASSERT_TRUE(
          slurm.IssueJob({absl::StrCat("secret-", i), TestJob(), {"paced", "20", "50"}}).ok());
    }
    // While sbatch, slurmstepd and the jobs run: look at every command line.
    const absl::Time deadline = absl::Now() + testing::Scaled(absl::Seconds(120));
    while (slurm.UnfinishedJobs() > 0 && absl::Now() < deadline) {
      const std::string lines = AllCommandLines();
      ++scans;
      ASSERT_EQ(lines.find(secret), std::string::npos) << "the secret is on a command line";
      std::optional<batch::FinishedJob> job = slurm.WaitForFinishedJob(absl::Milliseconds(20));
      if (job) {
        EXPECT_EQ(job->exit_code, 0)
            << job->name << " (" << job->reason << "): " << testing::ReadFile(job->log_path);
      }
    }
    EXPECT_EQ(slurm.UnfinishedJobs(), 0);
  }
  EXPECT_GT(scans, 5);
  // The jobs had it (their records are signed), through the environment.
  EXPECT_EQ(sink.entries().size(), 80u);
  for (const auto& entry : sink.entries()) {
    EXPECT_EQ(entry.authenticity, rtlog::Authenticity::kSigned);
  }
}

TEST_F(SlurmTest, RecordsAJobCannotSendAreCountedOnItsSide) {
  // A second leader address on the bridge that node1 cannot reach (a
  // "prohibit" route in its namespace), while node2 can.
  const std::string unreachable = absl::StrCat(cluster_->subnet(), ".2");
  const std::string route = absl::StrCat("ip -n ", cluster_->node_namespace(1), " route ");
  ASSERT_EQ(
      SlurmCluster::Run(absl::StrCat("ip addr add ", unreachable, "/32 dev ", cluster_->bridge())),
      0);
  ASSERT_EQ(SlurmCluster::Run(absl::StrCat(route, "add prohibit ", unreachable, "/32")), 0);
  batch::SlurmOptions node1_options = Options("unreachable");
  node1_options.extra_args = {"--nodelist=node1"};
  batch::SlurmBatchSystem node1(node1_options);
  batch::SlurmOptions node2_options = Options("reachable");
  node2_options.extra_args = {"--nodelist=node2"};
  batch::SlurmBatchSystem node2(node2_options);
  testing::CollectingSink sink;
  std::map<std::string, batch::FinishedJob> done;
  {
    rtlog::RealtimeLogger logger(
        node1, {.level = "INFO", .sinks = {&sink}, .server = {.advertise_host = unreachable}});
    ASSERT_TRUE(logger.started()) << logger.status();
    for (const auto& [name, value] : node1.GetEnvironment()) node2.SetEnv(name, value);
    ASSERT_TRUE(node1.IssueJob({"cut-off", TestJob(), {"count", "100"}}).ok());
    ASSERT_TRUE(node2.IssueJob({"connected", TestJob(), {"count", "100"}}).ok());
    for (auto* slurm : {&node1, &node2}) {
      for (batch::FinishedJob& job : WaitForAll(*slurm, absl::Seconds(120))) done[job.name] = job;
    }
    // The route comes back while a job logs: it reconnects, and what it
    // logged before is counted as not sent.
    ASSERT_TRUE(node1.IssueJob({"reconnects", TestJob(), {"paced", "60", "100"}}).ok());
    const std::string log = absl::StrCat(node1_options.log_dir, "/reconnects.log");
    ASSERT_TRUE(
        testing::WaitUntil([&] { return absl::StrContains(testing::ReadFile(log), "paced 10\n"); },
                           absl::Seconds(60), "the job to log while cut off"));
    ASSERT_EQ(SlurmCluster::Run(absl::StrCat(route, "del prohibit ", unreachable, "/32")), 0);
    for (batch::FinishedJob& job : WaitForAll(node1, absl::Seconds(120))) done[job.name] = job;
  }
  SlurmCluster::Run(absl::StrCat(route, "del prohibit ", unreachable, "/32 2>/dev/null"));
  SlurmCluster::Run(absl::StrCat("ip addr del ", unreachable, "/32 dev ", cluster_->bridge()));
  ASSERT_EQ(done.size(), 3u);
  std::map<std::string, int> received;
  for (const auto& entry : sink.entries()) ++received[entry.record.job()];
  for (const auto& [name, job] : done) {
    EXPECT_EQ(job.exit_code, 0) << name << " (" << job.reason << ")";
    const std::string output = testing::ReadFile(job.log_path);
    // The job's own log has every record, whatever reached the leader.
    EXPECT_THAT(output, HasSubstr(name == "reconnects" ? "paced 59" : "record 99")) << name;
  }
  EXPECT_EQ(received["connected"], 100);
  EXPECT_EQ(received["cut-off"], 0);
  EXPECT_THAT(testing::ReadFile(done["cut-off"].log_path),
              HasSubstr(absl::StrCat("100 of 100 records could not be sent to the leader at ",
                                     unreachable, ":")));
  // Some records of the reconnecting job were lost, the rest arrived, and
  // both are accounted for: on the job's side and, as a gap in its sequence
  // numbers, on the leader's.
  const std::string reconnected = testing::ReadFile(done["reconnects"].log_path);
  EXPECT_GT(received["reconnects"], 0);
  EXPECT_LT(received["reconnects"], 60);
  EXPECT_THAT(reconnected, HasSubstr(absl::StrCat(60 - received["reconnects"],
                                                  " of 60 records could not be sent")))
      << reconnected;
  EXPECT_EQ(rtlog::RealtimeLogger::Stats().lost,
            static_cast<uint64_t>(60 - received["reconnects"]));
}

TEST_F(SlurmTest, ACancelledATimedOutAndALostNodesJobEachSayWhy) {
  batch::SlurmOptions on_node1 = Options("endings1");
  on_node1.extra_args = {"--nodelist=node1"};
  batch::SlurmBatchSystem slurm(on_node1);
  batch::SlurmOptions limited = Options("endings2");
  limited.time_limit = "1";  // a minute, Slurm's smallest
  limited.extra_args = {"--nodelist=node1"};
  batch::SlurmBatchSystem timed(limited);
  batch::SlurmOptions on_node2 = Options("endings3");
  on_node2.extra_args = {"--nodelist=node2"};
  batch::SlurmBatchSystem lost(on_node2);

  // Each says "started" once its program runs (Slurm may call a job RUNNING
  // a moment before its node has started the program).
  const std::vector<std::string> sleeper = {"-c", "echo started; exec /bin/sleep 600"};
  const batch::JobId cancelled = *slurm.IssueJob({"cancelled", "/bin/sh", sleeper});
  ASSERT_TRUE(timed.IssueJob({"timed-out", "/bin/sh", sleeper}).ok());
  ASSERT_TRUE(lost.IssueJob({"node-lost", "/bin/sh", sleeper}).ok());
  const std::string cancel_id = slurm.SlurmJobId(cancelled);
  const std::string cancel_log = absl::StrCat(on_node1.log_dir, "/cancelled.log");
  const std::string lost_log = absl::StrCat(on_node2.log_dir, "/node-lost.log");
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return absl::StrContains(testing::ReadFile(cancel_log), "started") &&
               absl::StrContains(testing::ReadFile(lost_log), "started");
      },
      absl::Seconds(60), "the jobs' programs to start"));
  ASSERT_EQ(SlurmCluster::Run("scancel " + cancel_id), 0);
  // node2 dies: its slurmd, slurmstepd and the job, all at once (some may
  // be gone by the time kill reaches them).
  ASSERT_EQ(SlurmCluster::Run(absl::StrCat("ip netns pids ", cluster_->node_namespace(2),
                                           " | xargs -r kill -KILL 2>/dev/null; true")),
            0);
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return SlurmCluster::Run(absl::StrCat("[ -z \"$(ip netns pids ",
                                              cluster_->node_namespace(2), ")\" ]")) == 0;
      },
      absl::Seconds(30), "every process on node2 to end"));
  std::map<std::string, batch::FinishedJob> by_name;
  for (auto* system : {&slurm, &timed, &lost}) {
    for (batch::FinishedJob& job : WaitForAll(*system, absl::Seconds(240))) {
      by_name[job.name] = job;
    }
  }
  ASSERT_EQ(by_name.size(), 3u);
  EXPECT_EQ(by_name["cancelled"].exit_code, 128 + SIGTERM);
  EXPECT_THAT(by_name["cancelled"].reason, HasSubstr("cancelled"));
  EXPECT_NE(by_name["timed-out"].exit_code, 0);
  EXPECT_THAT(by_name["timed-out"].reason, HasSubstr("timed out"));
  EXPECT_NE(by_name["node-lost"].exit_code, 0);
  EXPECT_THAT(by_name["node-lost"].reason, HasSubstr("node failure"));
}

TEST_F(SlurmTest, AControllerThatStopsAnsweringEndsTheRunWithAClearError) {
  batch::SlurmOptions options = Options("controller");
  options.extra_args = {"--nodelist=node1"};
  options.scheduler_timeout = absl::Seconds(5);
  options.command_timeout = absl::Seconds(10);
  batch::SlurmBatchSystem slurm(options);
  ASSERT_TRUE(slurm.IssueJob({"orphan", "/bin/sleep", {"600"}}).ok());
  ASSERT_EQ(kill(cluster_->controller_pid(), SIGKILL), 0);
  const absl::Time start = absl::Now();
  const std::vector<batch::FinishedJob> done = WaitForAll(slurm, absl::Seconds(60));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].exit_code, 1);
  EXPECT_THAT(done[0].error, HasSubstr("the Slurm controller has not answered for"));
  EXPECT_THAT(done[0].error, HasSubstr("squeue: "));
  EXPECT_LT(absl::Now() - start, testing::Scaled(absl::Seconds(60)));
}

}  // namespace
}  // namespace toil
