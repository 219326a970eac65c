// The control plane's listening socket; see control_listener.h.
#include "toil/rtlog/leader/control/control_listener.h"

#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/server.h"
#include "grpcpp/server_posix.h"
#include "toil/rtlog/common/host_port.h"

namespace toil::rtlog::internal {
namespace {

// Longer paths do not fit in a Unix socket address.
constexpr size_t kMaxSocketPath = 100;

absl::Status Failed(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

constexpr char kDirectoryPrefix[] = "toil-rtlog-";
constexpr char kSocketName[] = "control.sock";

// Removes what leaders killed without their clean-up (SIGKILL) left in
// `base`: directories of this user's, named as a leader names them, whose
// socket nobody listens on any more (and was made more than a minute ago:
// not one a leader starting now has bound and not yet listens on).
void RemoveStaleDirectories(const std::string& base) {
  DIR* entries = opendir(base.c_str());
  if (entries == nullptr) return;
  while (const dirent* entry = readdir(entries)) {
    const std::string name = entry->d_name;
    // "toil-rtlog-XXXXXX", as mkdtemp makes it below.
    if (name.size() != std::strlen(kDirectoryPrefix) + 6 || name.rfind(kDirectoryPrefix, 0) != 0) {
      continue;
    }
    const std::string directory = absl::StrCat(base, "/", name);
    const std::string socket_path = absl::StrCat(directory, "/", kSocketName);
    struct stat info;
    if (lstat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) ||
        info.st_uid != geteuid() || lstat(socket_path.c_str(), &info) != 0 ||
        !S_ISSOCK(info.st_mode) || socket_path.size() > kMaxSocketPath ||
        info.st_mtime > time(nullptr) - 60) {
      continue;
    }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool refused =
        fd >= 0 && connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 &&
        errno == ECONNREFUSED;
    if (fd >= 0) close(fd);
    if (refused && unlink(socket_path.c_str()) == 0) rmdir(directory.c_str());
  }
  closedir(entries);
}

// A new directory only this user can open, for the socket: under
// $XDG_RUNTIME_DIR when there is one, else /tmp. Stale ones are removed
// first.
absl::StatusOr<std::string> PrivateDirectory() {
  std::string base = "/tmp";
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR");
      runtime != nullptr && runtime[0] == '/' && std::strlen(runtime) < 60 &&
      access(runtime, W_OK) == 0) {
    base = runtime;
  }
  RemoveStaleDirectories(base);
  std::string pattern = absl::StrCat(base, "/", kDirectoryPrefix, "XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {  // mode 0700
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create a directory for the control socket under ", base, ": ",
                     std::strerror(errno)));
  }
  return pattern;
}

// A listening Unix socket at `path`, mode 0600.
absl::StatusOr<int> ListenUnix(const std::string& path) {
  if (path.size() > kMaxSocketPath) {
    return absl::FailedPreconditionError(
        absl::StrCat("the control socket path is too long: ", path));
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Failed("cannot create the control socket");
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      chmod(path.c_str(), 0600) != 0 || listen(fd, SOMAXCONN) != 0) {
    absl::Status failed = Failed(absl::StrCat("cannot listen for the control plane on ", path));
    close(fd);
    return failed;
  }
  return fd;
}

// "host" and "port" of "HOST:PORT" or "[V6]:PORT", the port 0-65535.
bool SplitHostPort(const std::string& text, std::string* host, std::string* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  *host = text.substr(0, colon);
  *port = text.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  int number = -1;
  return !host->empty() && !port->empty() &&
         port->find_first_not_of("0123456789") == std::string::npos &&
         absl::SimpleAtoi(*port, &number) && number <= 65535;
}

// A listening TCP socket on a numeric HOST:PORT; `target` gets its real
// address.
absl::StatusOr<int> ListenTcp(const std::string& text, std::string* target) {
  const absl::Status bad =
      absl::InvalidArgumentError(absl::StrCat("cannot listen for the control plane on ", text,
                                              " (a numeric HOST:PORT, with a port that is free)"));
  std::string host;
  std::string port;
  if (!SplitHostPort(text, &host, &port)) return bad;
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return bad;
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int on = 1;
  const bool listening =
      fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == 0 &&
      bind(fd, found->ai_addr, found->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0;
  freeaddrinfo(found);
  if (!listening) {
    const absl::Status failed =
        absl::UnavailableError(absl::StrCat(bad.message(), ": ", std::strerror(errno)));
    if (fd >= 0) close(fd);
    return failed;
  }
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
  *target = FromSockaddr(reinterpret_cast<const sockaddr*>(&local), length).ToString();
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlListener>> ControlListener::Listen(
    const std::string& address) {
  std::string target;
  std::string socket_path;
  std::string directory;
  absl::StatusOr<int> fd;
  if (address.empty()) {
    absl::StatusOr<std::string> made = PrivateDirectory();
    if (!made.ok()) return made.status();
    directory = *made;
    socket_path = absl::StrCat(directory, "/", kSocketName);
    fd = ListenUnix(socket_path);
    if (!fd.ok()) rmdir(directory.c_str());
    target = absl::StrCat("unix:", socket_path);
  } else {
    fd = ListenTcp(address, &target);
  }
  if (!fd.ok()) return fd.status();
  const int wake_fd = eventfd(0, EFD_CLOEXEC);
  if (wake_fd < 0) {
    const absl::Status failed = Failed("cannot create an eventfd for the control plane");
    close(*fd);
    if (!socket_path.empty()) unlink(socket_path.c_str());
    if (!directory.empty()) rmdir(directory.c_str());
    return failed;
  }
  return std::unique_ptr<ControlListener>(
      new ControlListener(*fd, wake_fd, target, socket_path, directory));
}

ControlListener::ControlListener(int fd, int wake_fd, std::string target, std::string socket_path,
                                 std::string directory)
    : fd_(fd),
      wake_fd_(wake_fd),
      target_(std::move(target)),
      socket_path_(std::move(socket_path)),
      directory_(std::move(directory)) {}

ControlListener::~ControlListener() {
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  close(fd_);
  close(wake_fd_);
  if (!socket_path_.empty()) unlink(socket_path_.c_str());
  if (!directory_.empty()) rmdir(directory_.c_str());
}

void ControlListener::Start(grpc::Server* server, ConnectionGate* gate) {
  thread_ = std::thread([this, server, gate] { Accept(server, is_unix() ? nullptr : gate); });
}

bool ControlListener::Prepare(int fd) {
  const int on = 1;
  if (!is_unix()) return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == 0;
  ucred peer{};
  socklen_t length = sizeof(peer);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 ||
      (peer.uid != geteuid() && peer.uid != 0)) {
    ++strangers_;
    return false;
  }
  // Best effort: without it, a message goes out in several writes.
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSendBufferBytes, sizeof(kSendBufferBytes));
  return true;
}

void ControlListener::Accept(grpc::Server* server, ConnectionGate* gate) {
  pthread_setname_np(pthread_self(), "rtlog-control");
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (true) {
    const absl::Duration next =
        gate != nullptr ? gate->Expire(absl::Now()) : absl::InfiniteDuration();
    const int timeout = next == absl::InfiniteDuration()
                            ? -1
                            : static_cast<int>(absl::ToInt64Milliseconds(next)) + 1;
    if (poll(fds, 2, timeout) < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    const int connection = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (connection < 0) {
      // Out of descriptors: the pending connection stays queued; do not spin.
      if (errno == EMFILE || errno == ENFILE) poll(&fds[1], 1, 100);
      continue;
    }
    if (!Prepare(connection)) {
      close(connection);
      continue;
    }
    if (gate != nullptr) gate->Admit(connection);
    grpc::AddInsecureChannelFromFd(server, connection);
  }
}

}  // namespace toil::rtlog::internal
