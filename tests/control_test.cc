// The control plane with real processes: `toil-rtlog serve` (or a
// RealtimeLogger here) as the leader, and `toil-rtlog tail`, `status`,
// `senders`, `level` and `stop` in other processes, over the leader's
// private Unix socket or its TCP address with a token.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/log_control.grpc.pb.h"
#include "tests/serve_process.h"
#include "tests/test_util.h"
#include "toil/batch/local_batch_system.h"
#include "toil/runner/realtime_logger.h"

namespace toil {
namespace {

using testing::BackgroundProcess;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::RunProcess;

using testing::Serve;
using testing::TestJob;
using testing::Tool;

int CountOf(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ControlTest, TailFollowsFiltersAndReplays) {
  Serve serve({});
  ASSERT_TRUE(absl::StartsWith(serve.exports().at("TOIL_RT_LOGGING_CONTROL"), "unix:/"));
  // The socket and its directory: this user's alone.
  const std::string socket_path = serve.exports().at("TOIL_RT_LOGGING_CONTROL").substr(5);
  struct stat info;
  ASSERT_EQ(stat(socket_path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(socket_path.substr(0, socket_path.rfind('/')).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);

  ASSERT_EQ(RunProcess({TestJob(), "mixed"}, serve.JobEnv("early/1")).exit_code, 0);
  // A follower started before the next job's records.
  BackgroundProcess follower({Tool(), "tail", "--follow", "--last=0"}, serve.ViewerEnv());
  BackgroundProcess warnings(
      {Tool(), "tail", "--follow", "--last=0", "--level=WARNING", "--job=align*", "--format=jsonl"},
      serve.ViewerEnv());
  ASSERT_TRUE(testing::WaitUntil([&] { return serve.Count("viewers") == 2; }, absl::Seconds(30),
                                 "two viewers"));
  ASSERT_EQ(RunProcess({TestJob(), "mixed"}, serve.JobEnv("align/7")).exit_code, 0);
  ASSERT_TRUE(follower.WaitForStdout("error record", absl::Seconds(30)));
  ASSERT_TRUE(warnings.WaitForStdout("error record", absl::Seconds(30)));
  const std::string all = follower.Stop(SIGINT).out;
  const std::string filtered = warnings.Stop(SIGINT).out;
  // As the leader's terminal sink shows them, only the later job's.
  EXPECT_THAT(all, HasSubstr("DEBUG    [align/7 "));
  EXPECT_THAT(all, HasSubstr("] test_job.cc:"));
  EXPECT_THAT(all, Not(HasSubstr("early/1")));
  // WARNING and up, from align*, as JSON lines.
  EXPECT_EQ(CountOf(filtered, "\n"), 2) << filtered;
  EXPECT_THAT(filtered, HasSubstr("\"message\":\"warning record\""));
  EXPECT_THAT(filtered, Not(HasSubstr("debug record")));

  // --last replays what was kept; --grep and --host filter it.
  ProcessResult last = serve.Tool({"tail", "--last=3"});
  EXPECT_EQ(last.exit_code, 0) << last.err;
  EXPECT_EQ(CountOf(last.out, "\n"), 3) << last.out;
  EXPECT_THAT(last.out, HasSubstr("[align/7 "));
  last = serve.Tool({"tail", "--last=100", "--grep=^(debug|error) rec"});
  EXPECT_EQ(CountOf(last.out, "\n"), 4) << last.out;  // from both jobs
  last = serve.Tool({"tail", "--last=100", "--host=no-such-host"});
  EXPECT_EQ(last.out, "");
  EXPECT_EQ(last.exit_code, 0) << last.err;
  // --name keeps one logger's records: RT_LOG's here, no captured stdout.
  const ProcessResult every = serve.Tool({"tail", "--last=100"});
  EXPECT_EQ(serve.Tool({"tail", "--last=100", "--name=toil-rt"}).out, every.out);
  EXPECT_EQ(serve.Tool({"tail", "--last=100", "--name=stdout"}).out, "");

  // stop: the same clean stop and summary as SIGINT.
  const ProcessResult stopped = serve.Tool({"stop"});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  const ProcessResult result = serve.Stop();
  EXPECT_THAT(result.err,
              HasSubstr("stopped by a stop request (toil-rtlog stop); 8 records received"));
  EXPECT_NE(stat(socket_path.c_str(), &info), 0) << "the socket outlived the server";
}

// A Tail call of this test's own, as a client other than toil-rtlog (or an
// older toil-rtlog) makes it: what came in the responses' JSON lines and
// entries, and the call's status.
struct RawTail {
  std::string jsonl;
  int entries = 0;
  grpc::Status status;
};
RawTail TailDirectly(const Serve& serve, const rtlog::v1::TailRequest& request) {
  auto stub = rtlog::v1::LogControl::NewStub(grpc::CreateChannel(
      serve.exports().at("TOIL_RT_LOGGING_CONTROL"), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + testing::Scaled(absl::Seconds(30))));
  std::unique_ptr<grpc::ClientReader<rtlog::v1::TailResponse>> reader =
      stub->Tail(&context, request);
  RawTail tail;
  rtlog::v1::TailResponse response;
  while (reader->Read(&response)) {
    tail.jsonl += response.jsonl();
    tail.entries += response.entries_size();
  }
  tail.status = reader->Finish();
  return tail;
}

// A reader that goes away ends tail quietly, as it ends `tail -f`: at once
// when following (even with no new record to write), and a one-shot tail
// with more to write says nothing of a broken pipe either.
TEST(ControlTest, TailEndsQuietlyWhenItsReaderGoes) {
  Serve serve({});
  ASSERT_EQ(RunProcess({TestJob(), "count", "300"}, serve.JobEnv("many/1")).exit_code, 0);
  ASSERT_TRUE(testing::WaitUntil([&] { return serve.Count("records") == 300; }, absl::Seconds(30),
                                 "the records"));
  const std::string err = testing::TempPath("tail_err");
  for (const std::string& tail :
       {std::string("tail --follow --last=5 | grep -m1 -q many"),
        std::string("tail --last=300 | head -n 1 >/dev/null"),
        std::string("tail --follow --format=jsonl | head -n 1 >/dev/null")}) {
    // The shell waits for both ends of the pipeline.
    const ProcessResult result =
        RunProcess({"/bin/sh", "-c",
                    absl::StrCat("'", Tool(), "' ", tail.substr(0, tail.find('|')), " 2>", err, " ",
                                 tail.substr(tail.find('|')), "; echo done")},
                   serve.ViewerEnv(), absl::Seconds(60));
    EXPECT_EQ(result.exit_code, 0) << tail << ": " << result.err;
    EXPECT_EQ(result.out, "done\n") << tail;
    EXPECT_EQ(testing::ReadFile(err), "") << tail;
  }
  serve.Stop();
}

TEST(ControlTest, TailPrintsExactlyWhatTheLeadersJsonLinesSinkWrote) {
  const std::string sink = testing::TempPath("exact.jsonl");
  Serve serve({"--format=jsonl", "--output=" + sink});
  ASSERT_EQ(RunProcess({TestJob(), "mixed"}, serve.JobEnv("exact/1")).exit_code, 0);
  ASSERT_TRUE(testing::WaitUntil([&] { return CountOf(testing::ReadFile(sink), "\n") == 4; },
                                 absl::Seconds(30), "the job's 4 records in the sink's file"));
  const std::string written = testing::ReadFile(sink);
  // toil-rtlog tail gets entries and prints them with the sink's own code.
  const ProcessResult tail = serve.Tool({"tail", "--last=100", "--format=jsonl"});
  EXPECT_EQ(tail.exit_code, 0) << tail.err;
  EXPECT_EQ(tail.out, written);
  // A client that asks for JSON lines (the form's default) gets the same.
  rtlog::v1::TailRequest request;
  request.set_last(100);
  RawTail lines = TailDirectly(serve, request);
  EXPECT_TRUE(lines.status.ok()) << lines.status.error_message();
  EXPECT_EQ(lines.jsonl, written);
  EXPECT_EQ(lines.entries, 0);
  request.set_form(rtlog::v1::ENTRIES);
  RawTail entries = TailDirectly(serve, request);
  EXPECT_EQ(entries.entries, 4);
  EXPECT_EQ(entries.jsonl, "");
  // A form this leader does not know is refused, and says which ones it knows.
  request.set_form(static_cast<rtlog::v1::TailForm>(7));
  RawTail unknown = TailDirectly(serve, request);
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(unknown.status.error_message(), HasSubstr("no Tail form numbered 7"));
  serve.Stop();
}

TEST(ControlTest, MistakesAndStrangersGetClearAnswersAndTheLeaderServesOn) {
  Serve serve({});
  ProcessResult r = serve.Tool({"tail", "--grep=(("});
  EXPECT_EQ(r.exit_code, 2) << r.err;  // refused by tail itself, before connecting
  EXPECT_THAT(r.err, HasSubstr("--grep=(( is not a regular expression: missing )"));
  {
    // ... and by the leader, for a client that does not check.
    auto stub = rtlog::v1::LogControl::NewStub(grpc::CreateChannel(
        serve.exports().at("TOIL_RT_LOGGING_CONTROL"), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    rtlog::v1::TailRequest request;
    request.set_grep("((");
    auto reader = stub->Tail(&context, request);
    rtlog::v1::TailResponse response;
    while (reader->Read(&response)) {
    }
    const grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(),
                HasSubstr("grep pattern \"((\" is not a regular expression: missing )"));
  }
  r = serve.Tool({"tail", "--level=LOUD"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("LOUD"));
  r = serve.Tool({"level", "verbose"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = serve.Tool({"level", "DEBUG"});  // serve hands no jobs their level
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("export TOIL_RT_LOGGING_LEVEL=DEBUG where the jobs start"));
  // A viewer killed mid-stream.
  {
    BackgroundProcess viewer({Tool(), "tail", "--follow"}, serve.ViewerEnv());
    ASSERT_TRUE(testing::WaitUntil([&] { return serve.Count("viewers") == 1; }, absl::Seconds(30),
                                   "the viewer"));
    viewer.Stop(SIGKILL);
  }
  EXPECT_TRUE(testing::WaitUntil([&] { return serve.Count("viewers") == 0; }, absl::Seconds(30),
                                 "the killed viewer to be gone"));
  // No leader named, and a leader that is gone.
  r = RunProcess({Tool(), "status"}, {{"TOIL_RT_LOGGING_CONTROL", std::nullopt}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err,
              HasSubstr("which leader? pass --control=ADDRESS or set TOIL_RT_LOGGING_CONTROL"));
  r = RunProcess({Tool(), "status", "--control=unix:/nonexistent/control.sock"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no leader at /nonexistent/control.sock"));
  EXPECT_EQ(CountOf(r.err, "\n"), 1) << r.err;  // one line, not a stack dump
  // After all that, the leader still answers.
  EXPECT_EQ(serve.Count("viewers"), 0);
  ASSERT_EQ(RunProcess({TestJob(), "count", "3"}, serve.JobEnv("late/1")).exit_code, 0);
  EXPECT_TRUE(testing::WaitUntil([&] { return serve.Count("records") == 3; }, absl::Seconds(30),
                                 "3 records"));
  serve.Stop();
}

// The tool, copied where another user can run it (this test's own files
// are under root's home), with the directory removed at the end.
class ToolForAnotherUser {
 public:
  ToolForAnotherUser() {
    char pattern[] = "/tmp/toil-rtlog-test-XXXXXX";
    dir_ = mkdtemp(pattern);
    chmod(dir_.c_str(), 0755);
    path_ = dir_ + "/toil-rtlog";
    const std::string tool = testing::ReadFile(Tool());
    const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0755);
    EXPECT_EQ(write(fd, tool.data(), tool.size()), static_cast<ssize_t>(tool.size()));
    close(fd);
  }
  ~ToolForAnotherUser() {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  // `args` run as user and group 65534 (nobody).
  std::vector<std::string> AsNobody(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                     "--clear-groups", path_};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

 private:
  std::string dir_;
  std::string path_;
};

// Another user's leader: a user who cannot reach its socket is told why,
// truthfully; root is served (as the leader promises).
TEST(ControlTest, AnotherUsersLeaderIsExplainedAndRootIsServed) {
  if (geteuid() != 0) TOIL_SKIP_OR_FAIL_UNDER_CI("needs root, to be a second user");
  const ToolForAnotherUser tool;
  Serve root_leader({});
  const std::string root_control = root_leader.exports().at("TOIL_RT_LOGGING_CONTROL");
  ProcessResult r = RunProcess(tool.AsNobody({"status", "--control=" + root_control}),
                               {{"XDG_RUNTIME_DIR", std::nullopt}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("it is in another user's private directory; only that user (or "
                               "root) can watch this leader"));
  EXPECT_THAT(r.err, Not(HasSubstr("it has stopped")));
  root_leader.Stop();

  BackgroundProcess nobody_leader(tool.AsNobody({"serve"}), {{"XDG_RUNTIME_DIR", std::nullopt}});
  const auto exports = testing::ParseExports(nobody_leader.ReadStdoutLines(6, absl::Seconds(30)));
  ASSERT_EQ(exports.count("TOIL_RT_LOGGING_CONTROL"), 1u) << nobody_leader.Stop(SIGTERM).err;
  r = RunProcess({Tool(), "status", "--control=" + exports.at("TOIL_RT_LOGGING_CONTROL")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("leader     serve at"));
  nobody_leader.Stop(SIGTERM);
}

TEST(ControlTest, TcpNeedsTheToken) {
  Serve serve({"--control=127.0.0.1:0"});
  ASSERT_EQ(serve.exports().count("TOIL_RT_LOGGING_CONTROL_TOKEN"), 1u);
  EXPECT_EQ(serve.exports().at("TOIL_RT_LOGGING_CONTROL_TOKEN").size(), 64u);
  ProcessResult r = serve.Tool({"status"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("leader     serve at 127.0.0.1:"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\nuptime     [0-9]+[smh]"));  // with its unit
  r = RunProcess({Tool(), "status"},
                 {{"TOIL_RT_LOGGING_CONTROL", serve.exports().at("TOIL_RT_LOGGING_CONTROL")},
                  {"TOIL_RT_LOGGING_CONTROL_TOKEN", std::nullopt}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("this leader's control address needs its token: pass --token"));
  r = RunProcess({Tool(), "status", "--token=" + std::string(64, '0')},
                 {{"TOIL_RT_LOGGING_CONTROL", serve.exports().at("TOIL_RT_LOGGING_CONTROL")}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("wrong token"));
  r = RunProcess({Tool(), "tail", "--follow"},
                 {{"TOIL_RT_LOGGING_CONTROL", serve.exports().at("TOIL_RT_LOGGING_CONTROL")}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(serve.Count("viewers"), 0);
  serve.Stop();
}

// The records a viewer was told it missed, from its stderr in `path`
// ("toil-rtlog tail: N records missed: ...").
uint64_t Missed(const std::string& path) { return testing::ViewerMissed(testing::ReadFile(path)); }

// A TCP connection to the control plane.
int ConnectTcp(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1))));
  inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &address.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Connections that never authenticate cannot take the leader's descriptors:
// at most a few dozen wait at once, each at most a few seconds, and a client
// with the token is served throughout.
TEST(ControlTest, IdleTcpConnectionsCannotStarveTheControlPlane) {
  Serve serve({"--control=127.0.0.1:0"});
  const std::string target = serve.exports().at("TOIL_RT_LOGGING_CONTROL");
  const int64_t pid = serve.Count("pid");
  ASSERT_GT(pid, 0);
  const auto leader_fds = [pid] {
    int n = 0;
    DIR* fds = opendir(absl::StrCat("/proc/", pid, "/fd").c_str());
    while (fds != nullptr && readdir(fds) != nullptr) ++n;
    if (fds != nullptr) closedir(fds);
    return n;
  };
  const int before = leader_fds();
  std::vector<int> idle;
  for (int i = 0; i < 3000; ++i) {
    const int fd = ConnectTcp(target);
    ASSERT_GE(fd, 0) << "connection " << i << ": " << std::strerror(errno);
    idle.push_back(fd);
  }
  const ProcessResult status = serve.Tool({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("leader     serve at"));
  EXPECT_LT(leader_fds(), before + 300) << "the leader holds the idle connections";
  // The newest idle connection is closed by the leader at its deadline
  // (after what gRPC said first: its settings).
  const absl::Time deadline = absl::Now() + testing::Scaled(absl::Seconds(30));
  bool closed = false;
  while (!closed && absl::Now() < deadline) {
    pollfd last = {idle.back(), POLLIN, 0};
    if (poll(&last, 1, 100) != 1) continue;
    char buffer[4096];
    closed = read(idle.back(), buffer, sizeof(buffer)) <= 0;
  }
  EXPECT_TRUE(closed) << "an idle connection still open after 30 s";
  for (int fd : idle) close(fd);
  EXPECT_EQ(serve.Tool({"status"}).exit_code, 0);
  serve.Stop();
}

TEST(ControlTest, AHundredViewersOneStoppedAndNothingIsLost) {
  // Keep 100 records, so that the stopped viewer falls out of the ring.
  const std::string sink = testing::TempPath("records.jsonl");
  Serve serve({"--tail_keep=100", "--format=jsonl", "--output=" + sink});
  // Each viewer writes to a file of its own (a pipe nobody reads would stop
  // it as surely as SIGSTOP).
  std::vector<std::unique_ptr<BackgroundProcess>> viewers;
  std::vector<std::string> outputs;
  // A hundred viewers; thirty under a sanitizer (each several times slower
  // on the same two cores). The first, which is stopped, follows every job;
  // the others the small records of job busy/1.
  const bool sanitized = testing::Scaled(absl::Seconds(1)) > absl::Seconds(1);
  const int kViewers = sanitized ? 30 : 100;
  for (int i = 0; i < kViewers; ++i) {
    outputs.push_back(testing::TempPath(absl::StrCat("viewer-", i, ".jsonl")));
    viewers.push_back(std::make_unique<BackgroundProcess>(
        std::vector<std::string>{"/bin/sh", "-c",
                                 absl::StrCat("exec '", Tool(), "' tail --follow --last=0 ",
                                              i == 0 ? "" : "--job='busy*' ", "--format=jsonl >'",
                                              outputs.back(), "' 2>'", outputs.back(), ".err'")},
        serve.ViewerEnv()));
  }
  ASSERT_TRUE(testing::WaitUntil([&] { return serve.Count("viewers") == kViewers; },
                                 absl::Seconds(60), "every viewer to attach"));
  BackgroundProcess& stopped = *viewers[0];
  ASSERT_EQ(kill(stopped.pid(), SIGSTOP), 0);
  const absl::Time stop_time = absl::Now();
  // A stopped viewer's connection still takes in what the kernel buffers
  // for it (the leader asks for a 4 MiB send buffer, which the kernel
  // doubles) and the message the leader is writing: 1,536 records of 8 KiB
  // from job pad/1, 12 MiB, are more than that and the ring together. They
  // come 2 ms apart (5 ms under a sanitizer), well within the 10 s: as one
  // burst they would overflow the leader's socket.
  const int kRecords = sanitized ? 2000 : 3000;
  const int kPadded = 1536;
  ASSERT_EQ(RunProcess({TestJob(), "paced", absl::StrCat(kPadded), sanitized ? "5" : "2", "8192"},
                       serve.JobEnv("pad/1"))
                .exit_code,
            0);
  ASSERT_EQ(
      RunProcess({TestJob(), "count", absl::StrCat(kRecords)}, serve.JobEnv("busy/1")).exit_code,
      0);
  // The sink has every record while the viewer is still stopped.
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return CountOf(testing::ReadFile(sink), "\n") == kPadded + kRecords; },
      absl::Seconds(60), "every record in the JSON-lines file"))
      << CountOf(testing::ReadFile(sink), "\n")
      << " in the file; the leader's counts: " << serve.Tool({"status"}).out;
  EXPECT_EQ(serve.Count("dropped_by_kernel"), 0);
  // The scenario: the viewer stays stopped for 10 s in all.
  absl::SleepFor(stop_time + absl::Seconds(10) - absl::Now());
  ASSERT_EQ(kill(stopped.pid(), SIGCONT), 0);
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return absl::StrContains(testing::ReadFile(outputs[0] + ".err"),
                                 "records missed: this viewer fell behind");
      },
      absl::Seconds(60), "the stopped viewer to be told what it missed"));
  // Every viewer writes at its own pace (many processes on a busy machine;
  // a slow one may fall behind too, and is told): wait until each has
  // every record or its count of those it missed.
  const auto expected = [&](size_t viewer) {
    return static_cast<uint64_t>(viewer == 0 ? kPadded + kRecords : kRecords);
  };
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        for (size_t i = 0; i < outputs.size(); ++i) {
          if (CountOf(testing::ReadFile(outputs[i]), "\n") + Missed(outputs[i] + ".err") <
              expected(i)) {
            return false;
          }
        }
        return true;
      },
      absl::Seconds(120), "every viewer to account for every record"));
  const ProcessResult summary = serve.Stop();
  EXPECT_THAT(summary.err, HasSubstr(absl::StrCat(kPadded + kRecords,
                                                  " records received, 0 malformed, "
                                                  "0 datagrams dropped by the kernel, 0 lost")));
  // Every viewer got each record or was told it missed it.
  for (size_t i = 0; i < viewers.size(); ++i) {
    viewers[i]->Stop(SIGKILL);
    EXPECT_EQ(CountOf(testing::ReadFile(outputs[i]), "\n") + Missed(outputs[i] + ".err"),
              expected(i))
        << "viewer " << i;
  }
}

// `run` issues every job at once; those still queued when the level changes
// start with the new one.
TEST(ControlTest, LevelReachesTheQueuedJobsOfARun) {
  const std::string dir = testing::TempPath("run_level");
  BackgroundProcess run({Tool(), "run", "--jobs=3", "--max_parallel=1", "--log_dir=" + dir, "--",
                         "/bin/sh", "-c",
                         "echo level=$TOIL_RT_LOGGING_LEVEL; "
                         "while [ ! -e " +
                             dir + "/go ]; do sleep 0.02; done"});
  ASSERT_TRUE(run.WaitForStderr(" toil-rtlog tail --follow", absl::Seconds(60)));
  const std::string said = run.stderr_so_far();
  const size_t at = said.find("TOIL_RT_LOGGING_CONTROL=");
  ASSERT_NE(at, std::string::npos) << said;
  const std::string control = said.substr(at + 24, said.find(' ', at) - at - 24);
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return absl::StrContains(testing::ReadFile(dir + "/sh-1.log"), "level="); },
      absl::Seconds(60), "the first job to start"));
  const ProcessResult changed = RunProcess({Tool(), "level", "DEBUG", "--control=" + control});
  EXPECT_EQ(changed.exit_code, 0) << changed.err;
  ASSERT_EQ(system(("touch " + dir + "/go").c_str()), 0);
  const ProcessResult result = run.Stop(0, absl::Seconds(60));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(testing::ReadFile(dir + "/sh-1.log"), "level=INFO\n");
  EXPECT_EQ(testing::ReadFile(dir + "/sh-2.log"), "level=DEBUG\n");
  EXPECT_EQ(testing::ReadFile(dir + "/sh-3.log"), "level=DEBUG\n");
}

TEST(ControlTest, SetLevelReachesTheNextJobAndNotTheRunningOne) {
  batch::LocalBatchSystem batch_system;
  testing::CollectingSink sink;
  {
    rtlog::RealtimeLogger logger(batch_system, {.level = "INFO", .sinks = {&sink}});
    ASSERT_TRUE(logger.started()) << logger.status();
    const std::string control = rtlog::RealtimeLogger::ControlTarget();
    ASSERT_TRUE(absl::StartsWith(control, "unix:/")) << control;
    ASSERT_TRUE(batch_system.IssueJob({"before", TestJob(), {"levels_paced", "30", "20"}}).ok());
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          for (const auto& e : sink.entries()) {
            if (e.record.job() == "before") return true;
          }
          return false;
        },
        absl::Seconds(30), "the first job to log"));
    const ProcessResult changed = RunProcess({Tool(), "level", "DEBUG", "--control=" + control});
    EXPECT_EQ(changed.exit_code, 0) << changed.err;
    EXPECT_THAT(changed.out,
                HasSubstr("jobs that start from now on get TOIL_RT_LOGGING_LEVEL=DEBUG "
                          "(it was INFO); jobs already running keep theirs"));
    EXPECT_EQ(batch_system.GetEnvironment().at("TOIL_RT_LOGGING_LEVEL"), "DEBUG");
    ASSERT_TRUE(batch_system.IssueJob({"after", TestJob(), {"levels_paced", "5", "1"}}).ok());
    for (int done = 0; done < 2;) {
      std::optional<batch::FinishedJob> job =
          batch_system.WaitForFinishedJob(testing::Scaled(absl::Seconds(60)));
      ASSERT_TRUE(job.has_value());
      EXPECT_EQ(job->exit_code, 0);
      ++done;
    }
  }
  std::map<std::string, std::set<std::string>> levels;
  for (const auto& entry : sink.entries()) {
    levels[entry.record.job()].insert(entry.record.levelname());
  }
  EXPECT_EQ(levels["before"], std::set<std::string>({"INFO"}));
  EXPECT_EQ(levels["after"], std::set<std::string>({"DEBUG", "INFO"}));
}

}  // namespace
}  // namespace toil
