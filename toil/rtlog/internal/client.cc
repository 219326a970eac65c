// The job-side client; see client.h.
#include "toil/rtlog/internal/client.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "toil/rtlog/internal/datagram_fit.h"
#include "toil/rtlog/internal/line_format.h"
#include "toil/rtlog/internal/process_info.h"
#include "toil/rtlog/internal/record_codec.h"

namespace toil::rtlog::internal {

std::atomic<int> g_threshold{0};

namespace {

// How long a job may wait for its leader's host name to resolve.
constexpr absl::Duration kResolveTimeout = absl::Seconds(2);

// Writes all of `text` to fd 2, retrying on EINTR and short writes.
void WriteAllToStderr(absl::string_view text) {
  while (!text.empty()) {
    const ssize_t n = write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

void Warn(absl::string_view text) {
  WriteAllToStderr(absl::StrCat("toil-rtlog: warning: ", text, "\n"));
}

// Set while this thread is inside the local delivery, so that a sink that
// itself logs does not deadlock; its records go to stderr instead.
thread_local bool t_in_delivery = false;

}  // namespace

bool ShouldLogSlow(Level level) {
  Client& client = Client::Instance();
  if (g_threshold.load(std::memory_order_acquire) == 0) {
    std::lock_guard<std::mutex> lock(client.mu_);
    if (!client.configured_) client.ConfigureLocked();
  }
  return LevelNumber(level) >= g_threshold.load(std::memory_order_relaxed);
}

Client& Client::Instance() {
  static Client* const client = new Client();
  return *client;
}

void Client::ConfigureLocked() {
  configured_ = true;
  config_ = ReadClientConfig([](const char* name) { return std::getenv(name); });
  for (const std::string& warning : config_.warnings) Warn(warning);
  leader_text_.clear();
  const int old_socket = socket_.exchange(-1);
  if (old_socket >= 0) close(old_socket);
  if (config_.leader) {
    absl::StatusOr<SocketAddress> address =
        Resolve(*config_.leader, kResolveTimeout);
    if (!address.ok()) {
      Warn(absl::StrCat(kAddressVariable, "=", config_.leader->ToString(),
                        ": ", address.status().message(),
                        "; records are written to stderr only"));
    } else {
      const int fd = socket(address->family(),
                            SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0 || connect(fd, address->get(), address->length) != 0) {
        Warn(absl::StrCat("cannot set up a UDP socket to the leader at ",
                          address->ToString(), ": ", std::strerror(errno),
                          "; records are written to stderr only"));
        if (fd >= 0) close(fd);
      } else {
        leader_text_ = address->ToString();
        socket_.store(fd);
        if (!exit_report_registered_) {
          exit_report_registered_ = true;
          std::atexit([] { Client::Instance().ReportExit(); });
        }
      }
    }
  }
  ApplyThresholdLocked();
}

void Client::ApplyThresholdLocked() {
  int threshold = LevelNumber(config_.threshold);
  if (has_delivery_.load()) threshold = LevelNumber(delivery_level_);
  g_threshold.store(threshold, std::memory_order_release);
}

void Client::Reconfigure() {
  std::lock_guard<std::mutex> lock(mu_);
  ConfigureLocked();
}

void Client::SetLocalDelivery(Delivery deliver, Level level) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!configured_) ConfigureLocked();
  {
    std::lock_guard<std::mutex> delivery_lock(delivery_mu_);
    delivery_ = std::move(deliver);
    delivery_level_ = level;
  }
  has_delivery_.store(true);
  ApplyThresholdLocked();
}

void Client::ClearLocalDelivery() {
  std::lock_guard<std::mutex> lock(mu_);
  has_delivery_.store(false);
  {
    std::lock_guard<std::mutex> delivery_lock(delivery_mu_);
    delivery_ = nullptr;
  }
  ApplyThresholdLocked();
}

Client::Stats Client::stats() const {
  return {sent_.load(), send_failed_.load(), cut_.load()};
}

std::string Client::leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_text_;
}

void Client::Log(Level level, const SourceLocation& where,
                 absl::string_view text, absl::Time time,
                 absl::string_view logger_name) {
  try {
    // One reusable record per thread: after the first call, filling it copies
    // into buffers that already have room.
    thread_local LogRecord record;
    const ThreadIdentity& thread = CurrentThread();
    record.Clear();
    record.set_name(logger_name.data(), logger_name.size());
    record.set_msg(text.data(), text.size());
    record.set_levelname(LevelName(level).data(), LevelName(level).size());
    record.set_levelno(LevelNumber(level));
    const absl::string_view path = where.file ? where.file : "";
    const size_t slash = path.rfind('/');
    const absl::string_view file =
        slash == absl::string_view::npos ? path : path.substr(slash + 1);
    const size_t dot = file.rfind('.');
    record.set_pathname(path.data(), path.size());
    record.set_filename(file.data(), file.size());
    const absl::string_view module =
        dot == absl::string_view::npos ? file : file.substr(0, dot);
    record.set_module(module.data(), module.size());
    record.set_lineno(where.line);
    record.set_func_name(where.function ? where.function : "");
    const double created = absl::ToDoubleSeconds(time - absl::UnixEpoch());
    record.set_created(created);
    record.set_msecs(std::floor((created - std::floor(created)) * 1000.0));
    record.set_relative_created(
        absl::ToDoubleMilliseconds(time - start_time_));
    record.set_process(ProcessId());
    record.set_process_name(ProcessName());
    record.set_thread(thread.id);
    record.set_thread_name(thread.name);
    record.set_hostname(HostName());
    record.set_job(config_.job_name);

    if (has_delivery_.load(std::memory_order_acquire) && !t_in_delivery) {
      std::lock_guard<std::mutex> lock(delivery_mu_);
      if (delivery_ && level >= delivery_level_) {
        struct InDelivery {
          InDelivery() { t_in_delivery = true; }
          ~InDelivery() { t_in_delivery = false; }
        } in_delivery;
        delivery_(record);
        return;
      }
    }
    WriteStderr(record, text);
    if (socket_.load(std::memory_order_relaxed) >= 0) SendDatagram(&record);
  } catch (...) {
    // Out of memory or similar: the record is lost, but the job goes on.
    send_failed_.fetch_add(1, std::memory_order_relaxed);
  }
}

void Client::WriteStderr(const LogRecord& record, absl::string_view message) {
  thread_local std::string line;
  line.clear();
  LineFormatOptions options;
  options.show_sender = false;
  AppendRecordLine(record, message, options, &line);
  WriteAllToStderr(line);
}

void Client::SendDatagram(LogRecord* record) {
  thread_local std::string json;
  EncodeRecord(*record, &json);
  if (FitRecordToDatagram(record, &json)) {
    cut_.fetch_add(1, std::memory_order_relaxed);
  }
  const int fd = socket_.load(std::memory_order_relaxed);
  if (fd < 0) return;
  ssize_t n;
  do {
    n = send(fd, json.data(), json.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(json.size())) {
    sent_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  send_failed_.fetch_add(1, std::memory_order_relaxed);
  if (!warned_send_failure_.exchange(true)) {
    const int error = errno;
    Warn(absl::StrCat("cannot send to the leader at ", leader(), ": ",
                      std::strerror(error),
                      " (further failures are only counted)"));
  }
}

void Client::ReportExit() {
  const uint64_t failed = send_failed_.load();
  if (failed == 0) return;
  Warn(absl::StrCat(failed, " of ", failed + sent_.load(),
                    " records could not be sent to the leader at ", leader()));
}

}  // namespace toil::rtlog::internal
