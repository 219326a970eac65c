// ControlListener: the control plane's socket, accepted by hand and handed to
// a real gRPC server. A Unix socket in a private directory, removed at the
// end; each connection from this user served with a send buffer that holds a
// whole Tail message; a connection from another user refused (needs root,
// to be another user); TCP on a numeric address, and clear errors.
#include "toil/rtlog/leader/control/control_listener.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/log_control.grpc.pb.h"
#include "tests/test_util.h"

namespace toil::rtlog::internal {
namespace {

// A gRPC server with no ports of its own, fed by `listener` (it serves the
// LogControl service unimplemented: gRPC needs a service to poll for).
std::unique_ptr<grpc::Server> Serve(ControlListener& listener) {
  static auto* service = new v1::LogControl::Service;
  grpc::ServerBuilder builder;
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  listener.Start(server.get());
  return server;
}

// A channel to `target` once it is connected; null if it does not connect.
std::shared_ptr<grpc::Channel> Connect(const std::string& target) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  const auto deadline = absl::ToChronoTime(absl::Now() + testing::Scaled(absl::Seconds(30)));
  return channel->WaitForConnected(deadline) ? channel : nullptr;
}

// The largest send buffer among this process's sockets bound to `path`
// (the accepted end of a connection to it).
int AcceptedSendBuffer(const std::string& path) {
  int largest = 0;
  DIR* fds = opendir("/proc/self/fd");
  while (const dirent* entry = readdir(fds)) {
    int fd = 0;
    if (!absl::SimpleAtoi(entry->d_name, &fd)) continue;
    sockaddr_un address{};
    socklen_t length = sizeof(address);
    int type = 0;
    socklen_t type_length = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length) != 0 || type != SOCK_STREAM ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        address.sun_family != AF_UNIX || path != address.sun_path) {
      continue;
    }
    int listening = 0;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &type_length) == 0 &&
        listening != 0) {
      continue;  // the listening socket itself
    }
    int bytes = 0;
    socklen_t bytes_length = sizeof(bytes);
    getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, &bytes_length);
    largest = std::max(largest, bytes);
  }
  closedir(fds);
  return largest;
}

TEST(ControlListenerTest, AUnixSocketInAPrivateDirectoryServesThisUserWithARoomySendBuffer) {
  absl::StatusOr<std::unique_ptr<ControlListener>> listener = ControlListener::Listen("");
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::string_view path = (*listener)->target();
  ASSERT_TRUE(absl::ConsumePrefix(&path, "unix:")) << (*listener)->target();
  const std::string socket(path);
  const std::string directory = socket.substr(0, socket.rfind('/'));
  struct stat info;
  ASSERT_EQ(stat(directory.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(socket.c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  std::unique_ptr<grpc::Server> server = Serve(**listener);
  std::shared_ptr<grpc::Channel> channel = Connect((*listener)->target());
  ASSERT_NE(channel, nullptr);
  // The kernel caps the request at net.core.wmem_max and doubles it.
  int most = 0;
  ASSERT_TRUE(absl::SimpleAtoi(
      absl::StripAsciiWhitespace(testing::ReadFile("/proc/sys/net/core/wmem_max")), &most));
  EXPECT_GE(AcceptedSendBuffer(socket), 2 * std::min(most, ControlListener::kSendBufferBytes));

  channel.reset();
  listener->reset();
  server->Shutdown();
  EXPECT_NE(stat(socket.c_str(), &info), 0) << "the socket is removed";
  EXPECT_NE(stat(directory.c_str(), &info), 0) << "and its directory";
}

TEST(ControlListenerTest, AnotherUsersConnectionIsRefused) {
  if (geteuid() != 0) {
    TOIL_SKIP_OR_FAIL_UNDER_CI("needs root, to connect as another user");
  }
  unsetenv("XDG_RUNTIME_DIR");  // under /tmp, which the other user can reach
  absl::StatusOr<std::unique_ptr<ControlListener>> listener = ControlListener::Listen("");
  ASSERT_TRUE(listener.ok()) << listener.status();
  const std::string socket = (*listener)->target().substr(5);
  // Let anyone reach the socket, as a careless chmod might: the peer's user
  // is still checked.
  ASSERT_EQ(chmod(socket.substr(0, socket.rfind('/')).c_str(), 0755), 0);
  ASSERT_EQ(chmod(socket.c_str(), 0777), 0);
  std::unique_ptr<grpc::Server> server = Serve(**listener);
  const pid_t child = fork();
  if (child == 0) {
    // As nobody: connect, and expect the leader to close the connection.
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(10);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket.c_str(), sizeof(address.sun_path) - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) _exit(11);
    char byte;
    _exit(read(fd, &byte, 1) == 0 ? 0 : 12);  // end of stream: refused
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: no uid 65534; 11: could not connect; 12: served";
  EXPECT_EQ((*listener)->strangers(), 1u);
  EXPECT_NE(Connect((*listener)->target()), nullptr) << "this user is still served";
  listener->reset();
  server->Shutdown();
}

TEST(ControlListenerTest, TcpOnANumericAddressAndClearErrorsOtherwise) {
  absl::StatusOr<std::unique_ptr<ControlListener>> listener =
      ControlListener::Listen("127.0.0.1:0");
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_TRUE(absl::StartsWith((*listener)->target(), "127.0.0.1:"));
  EXPECT_NE((*listener)->target(), "127.0.0.1:0") << "the real port";
  std::unique_ptr<grpc::Server> server = Serve(**listener);
  EXPECT_NE(Connect((*listener)->target()), nullptr);

  // The same port again: in use.
  absl::StatusOr<std::unique_ptr<ControlListener>> again =
      ControlListener::Listen((*listener)->target());
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(absl::StrContains(again.status().message(), "Address already in use"))
      << again.status();
  for (const char* bad : {"nonsense", "localhost:0", "127.0.0.1:", "[::1]:99999"}) {
    absl::StatusOr<std::unique_ptr<ControlListener>> refused = ControlListener::Listen(bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_TRUE(absl::StrContains(refused.status().message(), "numeric HOST:PORT"))
        << refused.status();
  }
  listener->reset();
  server->Shutdown();
}

// A directory as a leader makes it, with a socket nobody listens on (the
// leader was killed), made `age` ago.
std::string LeftBehind(const std::string& base, const std::string& name, absl::Duration age) {
  const std::string directory = base + "/" + name;
  EXPECT_EQ(mkdir(directory.c_str(), 0700), 0);
  const std::string path = directory + "/control.sock";
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  close(fd);
  const timespec then = absl::ToTimespec(absl::Now() - age);
  const timespec times[2] = {then, then};
  EXPECT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
  return directory;
}

bool Exists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

// A leader killed with SIGKILL cannot remove its socket's directory; the
// next leader of the same user removes what nobody listens on any more.
TEST(ControlListenerTest, ALeaderRemovesWhatKilledLeadersLeftBehind) {
  char pattern[] = "/tmp/toil-rtlog-test-XXXXXX";  // short: a socket path must be
  const std::string base = mkdtemp(pattern);
  setenv("XDG_RUNTIME_DIR", base.c_str(), 1);
  const std::string stale = LeftBehind(base, "toil-rtlog-AAAAAA", absl::Minutes(5));
  const std::string starting = LeftBehind(base, "toil-rtlog-BBBBBB", absl::ZeroDuration());
  const std::string other = LeftBehind(base, "toil-rtlog-jobs-CCCCCC", absl::Minutes(5));
  absl::StatusOr<std::unique_ptr<ControlListener>> live = ControlListener::Listen("");
  ASSERT_TRUE(live.ok()) << live.status();
  absl::StatusOr<std::unique_ptr<ControlListener>> next = ControlListener::Listen("");
  ASSERT_TRUE(next.ok()) << next.status();
  unsetenv("XDG_RUNTIME_DIR");
  EXPECT_FALSE(Exists(stale)) << "a dead leader's directory is left";
  EXPECT_TRUE(Exists(starting)) << "a leader that may be starting lost its socket";
  EXPECT_TRUE(Exists(other)) << "a directory not a leader's was removed";
  const std::string live_socket = (*live)->target().substr(5);
  EXPECT_TRUE(Exists(live_socket));
  next->reset();
  live->reset();
  for (const std::string& directory : {starting, other}) {
    unlink((directory + "/control.sock").c_str());
    rmdir(directory.c_str());
  }
  EXPECT_EQ(rmdir(base.c_str()), 0) << "the test left something in " << base;
}

}  // namespace
}  // namespace toil::rtlog::internal
