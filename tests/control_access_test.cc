// Who may use the control plane, and how it answers the others, with real
// processes: mistakes and strangers get a clear one-line answer while the
// leader serves on; another user's leader is explained, and root is served;
// over TCP every call needs the token; idle unauthenticated connections
// cannot take the leader's descriptors.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/log_control.grpc.pb.h"
#include "tests/serve_process.h"
#include "tests/test_util.h"

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

TEST(ControlAccessTest, MistakesAndStrangersGetClearAnswersAndTheLeaderServesOn) {
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
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1)
      << r.err;  // one line, not a stack dump
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
TEST(ControlAccessTest, AnotherUsersLeaderIsExplainedAndRootIsServed) {
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

TEST(ControlAccessTest, TcpNeedsTheToken) {
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
TEST(ControlAccessTest, IdleTcpConnectionsCannotStarveTheControlPlane) {
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

}  // namespace
}  // namespace toil
