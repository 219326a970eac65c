// rsyslog as the outside reference; see rsyslog_reference.h.
#include "bench/rsyslog_reference.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/file_lines.h"
#include "bench/monotonic_clock.h"
#include "bench/syslog_senders.h"

namespace toil::bench {
namespace {

constexpr char kRsyslogd[] = "/usr/sbin/rsyslogd";
constexpr char kProbe[] = "ingest_bench probe";

// A port on 127.0.0.1 that nothing uses right now, for `type`
// (SOCK_DGRAM, SOCK_STREAM).
int FreePort(int type) {
  const int fd = socket(AF_INET, type, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return -1;
  }
  close(fd);
  return ntohs(address.sin_port);
}

// The input's module and listener.
std::string InputConfig(RsyslogReference::Input input, int port, int receive_buffer_bytes) {
  const std::string where = absl::StrCat("address=\"127.0.0.1\" port=\"", port, "\"");
  switch (input) {
    case RsyslogReference::kUdp:
      return absl::StrCat("module(load=\"imudp\" threads=\"1\")\n", "input(type=\"imudp\" ", where,
                          " rcvbufSize=\"", receive_buffer_bytes / 1024, "k\")\n");
    case RsyslogReference::kTcp:
      return absl::StrCat("module(load=\"imptcp\")\ninput(type=\"imptcp\" ", where, ")\n");
    case RsyslogReference::kRelp:
      return absl::StrCat("module(load=\"imrelp\")\ninput(type=\"imrelp\" ", where, ")\n");
  }
  return "";
}

// The input, each message written as it came, one per line, to
// `dir`/out.log.
std::string Config(const std::string& dir, const std::string& input) {
  return absl::StrCat("global(workDirectory=\"", dir, "\" maxMessageSize=\"64k\")\n", input,
                      "template(name=\"raw\" type=\"string\" string=\"%rawmsg%\\n\")\n",
                      "*.* action(type=\"omfile\" file=\"", dir, "/out.log\" template=\"raw\")\n");
}

int64_t FileSize(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 ? info.st_size : 0;
}

void SendDatagram(int port, absl::string_view text) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  (void)sendto(fd, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&address),
               sizeof(address));
  close(fd);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RsyslogReference>> RsyslogReference::Start(
    const std::string& parent, Input input, int receive_buffer_bytes) {
  if (access(kRsyslogd, X_OK) != 0) {
    return absl::NotFoundError(
        absl::StrCat(kRsyslogd, " is not installed (scripts/install-deps.sh --bench installs it)"));
  }
  const std::string dir = parent + "/bench_rsyslog";
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  std::filesystem::create_directories(dir, ignored);
  const int port = FreePort(input == kUdp ? SOCK_DGRAM : SOCK_STREAM);
  std::ofstream(dir + "/rsyslog.conf")
      << Config(dir, InputConfig(input, port, receive_buffer_bytes));
  const std::string conf = dir + "/rsyslog.conf";
  const std::string pidfile = dir + "/rsyslogd.pid";
  const std::string log = dir + "/rsyslogd.log";
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    execl(kRsyslogd, "rsyslogd", "-n", "-f", conf.c_str(), "-i", pidfile.c_str(), nullptr);
    _exit(127);
  }
  std::unique_ptr<RsyslogReference> rsyslog(new RsyslogReference(dir, input, port, pid));
  // Ready when a probe comes out in the file.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (rsyslog->Lines() == 0) {
    if (absl::Now() > deadline || waitpid(pid, nullptr, WNOHANG) == pid) {
      return absl::UnavailableError(absl::StrCat("rsyslogd did not start; see ", log));
    }
    rsyslog->SendProbe();
    absl::SleepFor(absl::Milliseconds(50));
  }
  absl::SleepFor(absl::Milliseconds(300));  // the last probes land too
  rsyslog->probes_ = rsyslog->Lines();
  return rsyslog;
}

void RsyslogReference::SendProbe() const {
  if (input_ == kUdp) return SendDatagram(port_, kProbe);
  // Not listening yet: the next probe tries again.
  absl::StatusOr<std::unique_ptr<SyslogSender>> sender =
      input_ == kTcp ? ConnectTcp(port_) : ConnectRelp(port_);
  if (sender.ok() && (*sender)->Send(kProbe).ok()) (void)(*sender)->Finish();
}

RsyslogReference::~RsyslogReference() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

int64_t RsyslogReference::Lines() const {
  return std::max<int64_t>(0, CountFileLines(dir_ + "/out.log"));
}

RsyslogReference::Outcome RsyslogReference::Finish() {
  // The file's size tells when rsyslogd has stopped writing (counting the
  // lines of a file of hundreds of MB at every look would cost too much).
  const std::string out = dir_ + "/out.log";
  Outcome outcome;
  int64_t size = FileSize(out);
  outcome.last_ns = MonotonicNanos();
  while (MonotonicNanos() - outcome.last_ns < 2000000000) {
    absl::SleepFor(absl::Milliseconds(10));
    const int64_t now_size = FileSize(out);
    if (now_size != size) {
      size = now_size;
      outcome.last_ns = MonotonicNanos();
    }
  }
  kill(pid_, SIGTERM);
  int status;
  rusage usage{};
  wait4(pid_, &status, 0, &usage);
  pid_ = -1;
  outcome.cpu_us = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * int64_t{1000000} +
                   usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
  outcome.peak_rss_kb = usage.ru_maxrss;
  outcome.lines = Lines() - probes_;
  return outcome;
}

}  // namespace toil::bench
