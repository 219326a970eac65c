// Plain TCP and RELP senders for the benchmarks; see syslog_senders.h.
#include "bench/syslog_senders.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace toil::bench {
namespace {

constexpr size_t kFlushBytes = 64 << 10;

absl::StatusOr<int> ConnectLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  // RELP waits for answers: no small write may wait for an ACK (Nagle).
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("connect to 127.0.0.1:", port, ": ", strerror(error)));
  }
  return fd;
}

absl::Status WriteAll(int fd, std::string& buffer) {
  size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = write(fd, buffer.data() + done, buffer.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError(absl::StrCat("write: ", strerror(errno)));
    done += static_cast<size_t>(n);
  }
  buffer.clear();
  return absl::OkStatus();
}

class TcpSender : public SyslogSender {
 public:
  explicit TcpSender(int fd) : fd_(fd) {}
  ~TcpSender() override { close(fd_); }
  absl::Status Send(absl::string_view message) override {
    absl::StrAppend(&buffer_, message, "\n");
    return buffer_.size() >= kFlushBytes ? WriteAll(fd_, buffer_) : absl::OkStatus();
  }
  absl::Status Finish() override {
    absl::Status written = WriteAll(fd_, buffer_);
    shutdown(fd_, SHUT_WR);
    return written;
  }

 private:
  int fd_;
  std::string buffer_;
};

// A RELP session: frames out, "TXNR rsp LEN DATA\n" frames back.
class RelpSender : public SyslogSender {
 public:
  RelpSender(int fd, int window) : fd_(fd), window_(window) {}
  ~RelpSender() override { close(fd_); }

  // The "open" command and its answer.
  absl::Status Open() {
    Frame("open", "relp_version=0\nrelp_software=toil-rtlog-bench\ncommands=syslog");
    if (absl::Status s = WriteAll(fd_, out_); !s.ok()) return s;
    return AwaitAcknowledged(next_txnr_ - 1);
  }
  absl::Status Send(absl::string_view message) override {
    Frame("syslog", message);
    if (next_txnr_ - 1 - acknowledged_ < window_ && out_.size() < kFlushBytes) {
      return absl::OkStatus();
    }
    if (absl::Status s = WriteAll(fd_, out_); !s.ok()) return s;
    // Room in the window again: one more message acknowledged.
    return AwaitAcknowledged(next_txnr_ - window_);
  }
  absl::Status Finish() override {
    Frame("close", "");
    if (absl::Status s = WriteAll(fd_, out_); !s.ok()) return s;
    return AwaitAcknowledged(next_txnr_ - 1);
  }

 private:
  void Frame(absl::string_view command, absl::string_view data) {
    absl::StrAppend(&out_, next_txnr_++, " ", command, " ", data.size());
    if (!data.empty()) absl::StrAppend(&out_, " ", data);
    out_.push_back('\n');
  }
  // Reads answers until `txnr` is acknowledged ("200 OK").
  absl::Status AwaitAcknowledged(int64_t txnr) {
    while (acknowledged_ < txnr) {
      if (absl::Status s = TakeAnswer(); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  // One answer frame from `in_`, reading more as needed.
  absl::Status TakeAnswer() {
    while (true) {
      // "TXNR rsp LEN[ DATA]\n": the header is three words.
      const size_t first = in_.find(' ');
      const size_t second = first == std::string::npos ? first : in_.find(' ', first + 1);
      const size_t third =
          second == std::string::npos ? second : in_.find_first_of(" \n", second + 1);
      int64_t txnr = 0;
      size_t length = 0;
      if (third != std::string::npos &&
          absl::SimpleAtoi(absl::string_view(in_).substr(0, first), &txnr) &&
          absl::SimpleAtoi(absl::string_view(in_).substr(second + 1, third - second - 1),
                           &length)) {
        const size_t end = length == 0 ? third : third + 1 + length;
        if (in_.size() > end) {
          const std::string command = in_.substr(first + 1, second - first - 1);
          const std::string data = length == 0 ? "" : in_.substr(third + 1, length);
          in_.erase(0, end + 1);
          if (command != "rsp") continue;  // "serverclose", after our close
          if (txnr > 0 && !absl::StartsWith(data, "200") && !data.empty()) {
            return absl::InternalError(absl::StrCat("RELP answer to ", txnr, ": ", data));
          }
          acknowledged_ = std::max(acknowledged_, txnr);
          return absl::OkStatus();
        }
      } else if (in_.size() > 64 && third == std::string::npos) {
        return absl::InternalError(absl::StrCat("not a RELP frame: ", in_.substr(0, 64)));
      }
      // Our ACK at once: the server's next small answer may wait for it.
      const int on = 1;
      setsockopt(fd_, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
      char buffer[4096];
      const ssize_t n = read(fd_, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return absl::UnavailableError("the RELP server closed the session");
      in_.append(buffer, static_cast<size_t>(n));
    }
  }

  const int fd_;
  const int64_t window_;
  int64_t next_txnr_ = 1;
  int64_t acknowledged_ = 0;
  std::string out_;
  std::string in_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SyslogSender>> ConnectTcp(int port) {
  absl::StatusOr<int> fd = ConnectLoopback(port);
  if (!fd.ok()) return fd.status();
  return std::make_unique<TcpSender>(*fd);
}

absl::StatusOr<std::unique_ptr<SyslogSender>> ConnectRelp(int port, int window) {
  absl::StatusOr<int> fd = ConnectLoopback(port);
  if (!fd.ok()) return fd.status();
  auto sender = std::make_unique<RelpSender>(*fd, window);
  if (absl::Status opened = sender->Open(); !opened.ok()) return opened;
  return sender;
}

}  // namespace toil::bench
