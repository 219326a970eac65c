// Faults around a run, with real processes: the leader stopped or restarted
// while a job logs, a sink that cannot write (/dev/full), and a leader whose
// stdout and stderr are a closed pipe. Jobs keep going, the leader keeps
// serving, and what could not be written is reported once and counted.
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "toil/rtlog/leader/ingest/udp_server.h"
#include "toil/rtlog/leader/ingest/udp_socket.h"

extern char** environ;

namespace toil::rtlog::internal {
namespace {

using testing::BackgroundProcess;
using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::Runfile;
using testing::RunProcess;

using testing::TestJob;
using testing::Tool;

int CountOf(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + what.size())) {
    ++n;
  }
  return n;
}

std::unique_ptr<UdpServer> StartServer(Dispatcher* dispatcher, int port = 0) {
  UdpServerOptions options;
  options.listen.port = port;
  options.ingest.diagnostics = [](absl::string_view) {};
  auto server = UdpServer::Start(options, dispatcher);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

std::vector<testing::EnvChange> JobEnv(const UdpServer& server) {
  return {{"TOIL_RT_LOGGING_ADDRESS", server.local_address().ToString()},
          {"TOIL_RT_LOGGING_LEVEL", "INFO"},
          {"TOIL_RT_LOGGING_SECRET", std::nullopt},
          {"TOIL_JOB_NAME", "fault/1"}};
}

TEST(FaultTest, LeaderStoppedMidRunTheJobCarriesOn) {
  testing::CollectingSink sink;
  Dispatcher dispatcher({&sink});
  std::unique_ptr<UdpServer> server = StartServer(&dispatcher);
  ASSERT_NE(server, nullptr);
  BackgroundProcess job({TestJob(), "paced", "300", "5"}, JobEnv(*server));
  ASSERT_EQ(job.ReadStdoutLines(1, absl::Seconds(30)), "started\n");
  ASSERT_TRUE(sink.WaitFor(50, absl::Seconds(30)));
  server.reset();  // the leader goes away; its port is closed
  const ProcessResult result = job.Stop(0, absl::Seconds(60));  // waits
  EXPECT_EQ(result.exit_code, 0) << result.err;
  // The job's own log has every record, and at most one line about the
  // leader being gone (later failures are only counted).
  EXPECT_THAT(result.err, HasSubstr("paced 299"));
  EXPECT_EQ(CountOf(result.err, "paced "), 300);
  EXPECT_LE(CountOf(result.err, "cannot send to the leader"), 1);
  EXPECT_EQ(CountOf(result.err, "error"), 0) << result.err;
  EXPECT_LT(sink.entries().size(), 300u);
}

TEST(FaultTest, LeaderRestartedOnTheSamePortReceivesLaterRecords) {
  testing::CollectingSink first_sink;
  Dispatcher first({&first_sink});
  std::unique_ptr<UdpServer> server = StartServer(&first);
  ASSERT_NE(server, nullptr);
  const int port = server->local_address().port();
  const std::vector<testing::EnvChange> env = JobEnv(*server);
  BackgroundProcess job({TestJob(), "paced", "400", "5"}, env);
  ASSERT_EQ(job.ReadStdoutLines(1, absl::Seconds(30)), "started\n");
  ASSERT_TRUE(first_sink.WaitFor(20, absl::Seconds(30)));
  server.reset();
  // Records sent now are lost: wait until the job has seen its leader gone.
  ASSERT_TRUE(job.WaitForStderr("cannot send to the leader", absl::Seconds(30)));
  testing::CollectingSink second_sink;
  Dispatcher second({&second_sink});
  server = StartServer(&second, port);
  ASSERT_NE(server, nullptr);
  const ProcessResult result = job.Stop(0, absl::Seconds(60));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  server->Stop();
  const auto later = second_sink.entries();
  ASSERT_FALSE(later.empty());
  EXPECT_EQ(later.back().message, "paced 399");
  // The restarted leader took over in mid-stream.
  EXPECT_GT(later.front().record.seq(), first_sink.entries().back().record.seq());
}

TEST(FaultTest, ASinkThatCannotWriteIsReportedOnceCountedAndServingGoesOn) {
  BackgroundProcess serve(
      {Tool(), "serve", "--auth=false", "--format=jsonl", "--output=/dev/full"});
  const auto exports = testing::ParseExports(serve.ReadStdoutLines(4, absl::Seconds(30)));
  ASSERT_EQ(exports.count("TOIL_RT_LOGGING_ADDRESS"), 1u);
  const std::vector<testing::EnvChange> env = {
      {"TOIL_RT_LOGGING_ADDRESS", exports.at("TOIL_RT_LOGGING_ADDRESS")},
      {"TOIL_RT_LOGGING_LEVEL", "INFO"},
      {"TOIL_RT_LOGGING_SECRET", std::nullopt}};
  ASSERT_EQ(RunProcess({TestJob(), "count", "50"}, env).exit_code, 0);
  // The first write failed and was reported; later ones are only counted.
  ASSERT_TRUE(
      serve.WaitForStderr("cannot write to the JSON-lines file /dev/full", absl::Seconds(30)));
  ASSERT_EQ(RunProcess({TestJob(), "count", "50"}, env).exit_code, 0);
  const ProcessResult result = serve.Stop(SIGTERM);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(CountOf(result.err, "cannot write to the JSON-lines file /dev/full"), 1) << result.err;
  EXPECT_THAT(result.err, HasSubstr("No space left on device"));
  EXPECT_THAT(result.err, HasSubstr("100 records received"));
  EXPECT_THAT(result.err, HasSubstr("100 lines (")) << result.err;
  EXPECT_THAT(result.err, HasSubstr("could not be written to the JSON-lines file /dev/full"));
}

// Runs `argv` with stdout and stderr on a pipe nobody reads (its read end is
// closed before the program starts); returns the exit code, 128 + signal
// when killed.
int RunWithClosedOutput(const std::vector<std::string>& argv, pid_t* pid_out = nullptr,
                        bool wait = true) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  close(fds[0]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (spawned != 0) return -1;
  if (pid_out != nullptr) *pid_out = pid;
  if (!wait) return 0;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(FaultTest, ALeaderWithAClosedStderrPipeIsNotKilled) {
  // test_leader keeps the default SIGPIPE disposition, as a user's leader
  // would; its job's records go to the terminal sink on that closed stderr.
  EXPECT_EQ(RunWithClosedOutput({Runfile("tests/test_leader"), TestJob(), "count", "500"}), 0);
}

TEST(FaultTest, ServeWithClosedStdoutAndStderrKeepsServing) {
  auto probe = BindUdpSocket({{"127.0.0.1", 0, 0}});
  ASSERT_TRUE(probe.ok());
  const int port = probe->address.port();
  close(probe->fd);
  pid_t serve = -1;
  ASSERT_EQ(RunWithClosedOutput({Tool(), "serve", "--auth=false", absl::StrCat("--port=", port)},
                                &serve, /*wait=*/false),
            0);
  // Its stdout is closed, so it cannot say it is ready: wait for the port.
  ASSERT_TRUE(testing::WaitUntil([&] { return testing::UdpPortInUse(port); }, absl::Seconds(30),
                                 "serve to bind its port"));
  const std::vector<testing::EnvChange> env = {
      {"TOIL_RT_LOGGING_ADDRESS", absl::StrCat("127.0.0.1:", port)},
      {"TOIL_RT_LOGGING_LEVEL", "INFO"}};
  ASSERT_EQ(RunProcess({TestJob(), "count", "200"}, env).exit_code, 0);
  int status = 0;
  EXPECT_EQ(waitpid(serve, &status, WNOHANG), 0) << "serve died";
  // SIGTERM: serve takes in the 200 queued records (writing each to the
  // closed pipe) and its summary, then exits.
  kill(serve, SIGTERM);
  ASSERT_EQ(waitpid(serve, &status, 0), serve);
  EXPECT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace toil::rtlog::internal
