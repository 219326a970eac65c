// The job-side client's sender thread: it takes queued records from the
// ring, writes the job's stderr copy and sends the datagrams; see client.h.
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "toil/rtlog/job/client.h"
#include "toil/rtlog/wire/datagram_fit.h"
#include "toil/rtlog/job/futex.h"
#include "toil/rtlog/common/line_format.h"
#include "toil/rtlog/base/fd_write.h"
#include "toil/rtlog/common/process_info.h"
#include "toil/rtlog/wire/record_encoder.h"

namespace toil::rtlog::internal {
namespace {

// After this long without records the sender sleeps until a log call wakes
// it; before that it polls every kPollNanos, so log calls need not wake it.
constexpr absl::Duration kLinger = absl::Milliseconds(200);

}  // namespace

struct Client::Output {
  LogRecord record;
  std::string lines;  // for the job's stderr
  std::string json;   // one record, encoded
  std::string datagrams[kSendBatch];
  int records_in[kSendBatch];
  mmsghdr messages[kSendBatch];
  iovec iovecs[kSendBatch];
  int pending = 0;    // datagrams ready to send
  bool open = false;  // datagrams[pending] may take more records (packing)
};

void Client::DeliverLocally(const Entry& entry, absl::string_view text) {
  thread_local Output* output = new Output();
  Process(entry, text, *output);
}

void Client::SenderLoop() {
  Output output;
  int64_t last_activity = MonotonicNanos();
  while (true) {
    // Read before looking at the queue: a wake after this is not missed.
    const uint32_t wake_seen = wake_word_.load(std::memory_order_acquire);
    bool sleeping = false;
    size_t start = 0;
    size_t entries = 0;
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (count_ > 0) {
        start = head_;
        entries = count_;
        sender_sleeping_ = false;
      } else {
        // While records keep coming, poll, so that log calls need not wake
        // the sender; once idle, sleep until a log call does.
        sender_sleeping_ = MonotonicNanos() - last_activity >
                           absl::ToInt64Nanoseconds(kLinger);
        sleeping = sender_sleeping_;
      }
    }
    if (entries == 0) {
      FutexWait(&wake_word_, wake_seen,
                sleeping ? int64_t{3600} * 1000000000 : kPollNanos);
      ReportQueueDrops();
      continue;
    }
    last_activity = MonotonicNanos();
    // The entries [start, start + entries) are ours until freed below.
    size_t at = start;
    for (size_t i = 0; i < entries; ++i) {
      Entry entry;
      // The producer wrapped here: at the very end, or at a zero mark.
      if (at + sizeof(uint32_t) > kQueueBytes) {
        at = 0;
      } else {
        std::memcpy(&entry.bytes, ring_ + at, sizeof(entry.bytes));
        if (entry.bytes == 0) at = 0;
      }
      std::memcpy(&entry, ring_ + at, sizeof(entry));
      Process(entry, absl::string_view(ring_ + at + sizeof(entry), entry.text_size),
              output);
      at += entry.bytes;
    }
    Send(output);
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      head_ = at;
      count_ -= entries;
      if (count_ == 0) head_ = tail_ = 0;
    }
    processed_.fetch_add(entries, std::memory_order_release);
    done_word_.fetch_add(1, std::memory_order_release);
    FutexWakeAll(&done_word_);
    ReportQueueDrops();
  }
}

void Client::ReportQueueDrops() {
  const uint64_t dropped = queue_full_.load(std::memory_order_relaxed);
  const uint64_t reported = queue_full_reported_.load(std::memory_order_relaxed);
  if (dropped == reported) return;
  const uint64_t newly = dropped - reported;
  const std::string text = absl::StrCat(
      "toil-rtlog: ", newly, " record", newly == 1 ? " was" : "s were",
      " dropped: the job logged faster than they could be sent (", dropped,
      " in all)");
  const ThreadIdentity& thread = CurrentThread();
  const Entry entry{
      .bytes = 0,
      .level = Level::kWarning,
      .line = 0,
      .text_size = static_cast<uint32_t>(text.size()),
      .original_size = static_cast<uint32_t>(text.size()),
      .file = "",
      .function = "",
      .time_ns = absl::ToUnixNanos(absl::Now()),
      .thread_id = thread.id,
      .thread_name = Intern(thread.name),
      .logger_name = nullptr,
  };
  thread_local Output* output = new Output();
  Process(entry, text, *output);
  Send(*output);
  queue_full_reported_.store(dropped, std::memory_order_release);
  done_word_.fetch_add(1, std::memory_order_release);
  FutexWakeAll(&done_word_);
}

void Client::Process(const Entry& entry, absl::string_view text,
                     Output& output) {
  LogRecord& record = output.record;
  const absl::string_view name = entry.logger_name
                                     ? absl::string_view(*entry.logger_name)
                                     : absl::string_view("toil-rt");
  record.Clear();
  record.set_name(name.data(), name.size());
  record.set_msg(text.data(), text.size());
  const absl::string_view level_name = LevelName(entry.level);
  record.set_levelname(level_name.data(), level_name.size());
  record.set_levelno(LevelNumber(entry.level));
  const absl::string_view path = entry.file ? entry.file : "";
  const size_t slash = path.rfind('/');
  const absl::string_view file =
      slash == absl::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = file.rfind('.');
  const absl::string_view module =
      dot == absl::string_view::npos ? file : file.substr(0, dot);
  record.set_pathname(path.data(), path.size());
  record.set_filename(file.data(), file.size());
  record.set_module(module.data(), module.size());
  record.set_lineno(entry.line);
  record.set_func_name(entry.function ? entry.function : "");
  record.set_created(static_cast<double>(entry.time_ns) / 1e9);
  record.set_msecs(static_cast<double>((entry.time_ns / 1000000) % 1000));
  record.set_relative_created(
      static_cast<double>(entry.time_ns - absl::ToUnixNanos(start_time_)) / 1e6);
  record.set_process(ProcessId());
  record.set_process_name(ProcessName());
  record.set_thread(entry.thread_id);
  record.set_thread_name(*entry.thread_name);
  record.set_hostname(HostName());
  record.set_job(config_.job_name);

  if (has_delivery_.load(std::memory_order_acquire) && in_delivery_) {
    delivery_(record);  // the leader's own record: straight to its sinks
    return;
  }
  LineFormatOptions options;
  options.show_sender = false;
  if (entry.original_size > text.size()) {
    // Cut when queued: the job's own log says so too.
    AppendRecordLine(record, WithCutMarker(text, entry.original_size), options,
                     &output.lines);
  } else {
    AppendRecordLine(record, text, options, &output.lines);
  }
  if (!leader_address_) return;  // no leader: stderr only
  if (socket_.load(std::memory_order_relaxed) < 0 && !Reconnect()) {
    // Not sent, but numbered: the leader sees the gap too.
    ++next_seq_;
    send_failed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  record.set_stream(stream_id_);
  record.set_seq(next_seq_++);
  EncodeRecord(record, &output.json);
  const size_t limit =
      kMaxDatagramBytes - (auth_ != nullptr ? DatagramAuth::kTrailerBytes : 0);
  if (FitRecordToDatagram(&record, &output.json, limit, entry.original_size)) {
    cut_.fetch_add(1, std::memory_order_relaxed);
  }
  AddToDatagram(output);
}

void Client::AddToDatagram(Output& output) {
  const size_t trailer = auth_ != nullptr ? DatagramAuth::kTrailerBytes : 0;
  if (output.open) {
    std::string& packed = output.datagrams[output.pending];
    if (packed.size() + 1 + output.json.size() + trailer <= config_.packed_bytes) {
      packed.push_back('\n');
      packed.append(output.json);
      ++output.records_in[output.pending];
      return;
    }
    CloseDatagram(output);
    if (output.pending == kSendBatch) Send(output);
  }
  output.datagrams[output.pending].assign(output.json);
  output.records_in[output.pending] = 1;
  output.open = true;
  // Without packing (or with no room for another), it is complete now.
  if (output.json.size() + trailer >= config_.packed_bytes) {
    CloseDatagram(output);
    if (output.pending == kSendBatch) Send(output);
  }
}

void Client::CloseDatagram(Output& output) {
  std::string& datagram = output.datagrams[output.pending];
  if (auth_ != nullptr) auth_->Sign(&datagram);
  output.iovecs[output.pending] = {datagram.data(), datagram.size()};
  output.messages[output.pending] = {};
  output.messages[output.pending].msg_hdr.msg_iov = &output.iovecs[output.pending];
  output.messages[output.pending].msg_hdr.msg_iovlen = 1;
  ++output.pending;
  output.open = false;
}

bool Client::Reconnect() {
  if (MonotonicNanos() - last_connect_attempt_ < kReconnectNanos) return false;
  return ConnectLeader() == 0;
}

void Client::Send(Output& output) {
  // The job's own log first, then the leader.
  WriteToStderr(output.lines);
  output.lines.clear();
  if (output.open) CloseDatagram(output);
  const int fd = socket_.load(std::memory_order_relaxed);
  int offset = 0;
  while (offset < output.pending) {
    const int n = sendmmsg(fd, output.messages + offset, output.pending - offset,
                           MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // This datagram is refused (no leader listening, buffer full): count
      // it and go on with the rest.
      const int error = errno;
      send_failed_.fetch_add(output.records_in[offset], std::memory_order_relaxed);
      if (!warned_send_failure_.exchange(true)) {
        WarnOnStderr(absl::StrCat("cannot send to the leader at ", leader(), ": ",
                          std::strerror(error),
                          " (further failures are only counted)"));
      }
      ++offset;
      continue;
    }
    uint64_t records = 0;
    for (int i = offset; i < offset + n; ++i) records += output.records_in[i];
    sent_.fetch_add(records, std::memory_order_relaxed);
    offset += n;
  }
  output.pending = 0;
}

}  // namespace toil::rtlog::internal
