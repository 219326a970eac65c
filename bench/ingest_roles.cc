// The processes ingest_bench starts, each this program again in another
// mode: a sender (Python-style records one per datagram, or C++ job records
// packed), the bare recvmmsg counter, and the leader (the real receive path
// into a JSON-lines file). Each prints one RESULT line for the orchestrator.
#include "bench/ingest_roles.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bench/monotonic_clock.h"
#include "bench/typical_record.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/base/log_stats.h"
#include "toil/rtlog/leader/ingest/dispatcher.h"
#include "toil/rtlog/leader/ingest/udp_server.h"
#include "toil/rtlog/leader/ingest/udp_socket.h"
#include "toil/rtlog/sinks/json_lines_sink.h"
#include "toil/rtlog/sinks/log_sink.h"
#include "toil/rtlog/wire/datagram_auth.h"
#include "toil/rtlog/wire/record_encoder.h"

ABSL_FLAG(int64_t, records, 1000000, "records in the burst; send: records to send");
ABSL_FLAG(int, port, 0, "send: where to");
ABSL_FLAG(int64_t, rate, 0, "send: records per second (0: as fast as possible)");
ABSL_FLAG(int, sender_id, 0, "send: which sender this is");
ABSL_FLAG(std::string, output, "", "leader: the JSON-lines file");
ABSL_FLAG(int64_t, expect, 0, "counter, leader: stop after this many records (or SIGTERM)");
ABSL_FLAG(std::string, secret, "", "send, leader: the run's secret (signed bursts pass it on)");
ABSL_FLAG(int, pipelines, 1, "leader: receive pipelines sharing the port (SO_REUSEPORT)");
ABSL_FLAG(int, pack, 0,
          "send: pack records into datagrams of up to this many bytes, one per line (as a C++ "
          "job does for a leader that says TOIL_RT_LOGGING_PACKED); 0: one record each");

namespace toil::bench {

std::string PipelineFile(const std::string& output, int k) {
  return k == 0 ? output : absl::StrCat(output, ".", k);
}

namespace {

// This process's CPU time (user + system) so far, in microseconds.
int64_t CpuMicros() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * int64_t{1000000} +
         usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

// Peak resident set size of this process, in kB (VmHWM).
long PeakRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// A typical record from a Python job, numbered.
int TypicalPythonRecord(int sender, int64_t i, char* out, size_t size) {
  return std::snprintf(out, size,
                       "{\"name\": \"toil-rt\", \"msg\": \"Aligned %%d reads for sample %%s in "
                       "%%.2f s\", \"args\": [%lld, \"NA12878\", 3.14159], \"levelname\": "
                       "\"INFO\", \"levelno\": 20, \"pathname\": "
                       "\"/home/user/workflows/align/steps.py\", \"filename\": \"steps.py\", "
                       "\"module\": \"steps\", \"exc_info\": null, \"exc_text\": null, "
                       "\"stack_info\": null, \"lineno\": 117, \"funcName\": \"align_chunk\", "
                       "\"created\": 1763920000.123456, \"msecs\": 123.0, \"relativeCreated\": "
                       "5321.42, \"thread\": 140234567890123, \"threadName\": \"MainThread\", "
                       "\"processName\": \"sender-%d\", \"process\": %d}",
                       static_cast<long long>(i), sender, 10000 + sender);
}

std::atomic<bool> g_stop{false};
void OnTerm(int) { g_stop.store(true); }

// The same record as a C++ job sends it (what TOIL_RT_LOGGING_PACKED is for):
// the message already formatted, no `args`, with the job's host, name and
// its stream's sequence number, encoded by the job's own encoder.
void TypicalCppRecord(int sender, int64_t i, std::string* out) {
  static toil::rtlog::LogRecord record = TypicalRecord();
  record.set_msg(absl::StrCat("Aligned ", i, " reads for sample NA12878 in 3.14 s"));
  record.set_process_name(absl::StrCat("sender-", sender));
  record.set_process(10000 + sender);
  record.set_stream(0x5eed0000u + static_cast<uint64_t>(sender));
  record.set_seq(static_cast<uint64_t>(i) + 1);
  out->clear();
  toil::rtlog::internal::EncodeRecord(record, out);
}

// The next datagram into `out`: one Python-style record (`pack` 0) or as
// many C++ job records as fit in `pack` bytes, one per line, signed when
// `auth` is set. Returns its size; `*records` is how many it holds.
size_t NextDatagram(int sender, int64_t first, int64_t left, size_t pack,
                    toil::rtlog::internal::DatagramAuth* auth, std::string* out, int* records) {
  const size_t trailer = auth != nullptr ? toil::rtlog::internal::DatagramAuth::kTrailerBytes : 0;
  char python[1024];
  std::string cpp;
  out->clear();
  *records = 0;
  while (*records < left) {
    absl::string_view record;
    if (pack == 0) {
      record = absl::string_view(
          python, TypicalPythonRecord(sender, first + *records, python, sizeof(python)));
    } else {
      TypicalCppRecord(sender, first + *records, &cpp);
      record = cpp;
    }
    const size_t grown = out->size() + (out->empty() ? 0 : 1) + record.size() + trailer;
    if (*records > 0 && grown > pack) break;
    if (!out->empty()) out->push_back('\n');
    out->append(record.data(), record.size());
    ++*records;
  }
  if (auth != nullptr) auth->Sign(out);
  return out->size();
}

}  // namespace

// --- send: N records, sendmmsg batches of 64 datagrams, optionally paced ---
int RunSend() {
  const int64_t n = absl::GetFlag(FLAGS_records);
  const int64_t rate = absl::GetFlag(FLAGS_rate);
  const int id = absl::GetFlag(FLAGS_sender_id);
  const size_t pack = static_cast<size_t>(absl::GetFlag(FLAGS_pack));
  std::unique_ptr<toil::rtlog::internal::DatagramAuth> auth;
  if (!absl::GetFlag(FLAGS_secret).empty()) {
    auth = *toil::rtlog::internal::DatagramAuth::FromSecret(absl::GetFlag(FLAGS_secret));
  }
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(absl::GetFlag(FLAGS_port));
  connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  constexpr int kBatch = 64;
  static std::string datagrams[kBatch];
  mmsghdr messages[kBatch];
  iovec iovecs[kBatch];
  const int64_t start = MonotonicNanos();
  int64_t sent = 0;
  while (sent < n) {
    if (rate) {
      // Absolute schedule: record `sent` is due at start + sent / rate.
      const int64_t due = start + sent * 1000000000 / rate;
      timespec when{static_cast<time_t>(due / 1000000000), static_cast<long>(due % 1000000000)};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &when, nullptr);
    }
    // Paced: 16 records at a time; else as many datagrams as a batch holds.
    int64_t batch_records = 0;
    int batch = 0;
    while (batch < kBatch && sent + batch_records < n && (!rate || batch_records < 16)) {
      int records = 0;
      const int64_t left = std::min<int64_t>(n - sent - batch_records, rate ? 16 : n);
      NextDatagram(id, sent + batch_records, left, pack, auth.get(), &datagrams[batch], &records);
      iovecs[batch] = {datagrams[batch].data(), datagrams[batch].size()};
      messages[batch] = {};
      messages[batch].msg_hdr.msg_iov = &iovecs[batch];
      messages[batch].msg_hdr.msg_iovlen = 1;
      batch_records += records;
      ++batch;
    }
    int done = 0;
    while (done < batch) {
      const int k = sendmmsg(fd, messages + done, batch - done, 0);
      if (k <= 0) {
        if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS) continue;
        std::perror("sendmmsg");
        return 1;
      }
      done += k;
    }
    sent += batch_records;
  }
  std::printf("sent %lld in %.3f s\n", static_cast<long long>(sent),
              (MonotonicNanos() - start) / 1e9);
  return 0;
}

// --- counter: a bare recvmmsg loop that only counts ---
int RunCounter() {
  // Configured as the leader's socket is, but blocking: a bare loop.
  toil::rtlog::internal::UdpSocketOptions options;
  options.listen.receive_buffer_bytes = kReceiveBufferBytes;
  options.nonblocking = false;
  const auto bound = toil::rtlog::internal::BindUdpSocket(options);
  if (!bound.ok()) return 1;
  const int fd = bound->fd;
  std::printf("PORT %d\n", bound->address.port());
  std::fflush(stdout);
  signal(SIGTERM, &OnTerm);
  const int64_t expect = absl::GetFlag(FLAGS_expect);
  constexpr int kBatch = 64;
  static char buffers[kBatch][65536];
  mmsghdr messages[kBatch];
  iovec iovecs[kBatch];
  for (int i = 0; i < kBatch; ++i) {
    iovecs[i] = {buffers[i], sizeof(buffers[i])};
    messages[i] = {};
    messages[i].msg_hdr.msg_iov = &iovecs[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  timeval timeout{0, 100000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  int64_t count = 0;
  int64_t first = 0;
  int64_t last = 0;
  while (count < expect && !g_stop.load()) {
    const int n = recvmmsg(fd, messages, kBatch, 0, nullptr);
    if (n <= 0) continue;
    last = MonotonicNanos();
    if (count == 0) first = last;
    count += n;
  }
  std::printf("RESULT received=%lld dropped=0 first=%lld last=%lld rss_kb=%ld cpu_us=%lld\n",
              static_cast<long long>(count), static_cast<long long>(first),
              static_cast<long long>(last), PeakRssKb(), static_cast<long long>(CpuMicros()));
  return 0;
}

namespace {

// A sink that notes when the first and the last record reached the sinks.
class TimingSink : public toil::rtlog::LogSink {
 public:
  void Send(const toil::rtlog::LogEntry&) override {
    last_ = MonotonicNanos();
    if (count_++ == 0) first_ = last_;
  }
  int64_t count_ = 0;
  int64_t first_ = 0;
  int64_t last_ = 0;
};

// --- leader: the real receive path, into a JSON-lines file ---

// One receive pipeline: a UdpServer (receive thread, ring, processing
// thread) and its sinks. With --pipelines above 1 each has its own socket on
// the one port (SO_REUSEPORT) and its own file: `output`, `output`.1, ...
struct Pipeline {
  std::unique_ptr<toil::rtlog::JsonLinesSink> jsonl;
  TimingSink timing;
  std::unique_ptr<toil::rtlog::internal::Dispatcher> dispatcher;
  std::unique_ptr<toil::rtlog::internal::UdpServer> server;
};

absl::Status StartPipeline(int k, int port, bool shared, Pipeline* p) {
  absl::StatusOr<std::unique_ptr<toil::rtlog::JsonLinesSink>> jsonl =
      toil::rtlog::JsonLinesSink::Open(PipelineFile(absl::GetFlag(FLAGS_output), k));
  if (!jsonl.ok()) return jsonl.status();
  p->jsonl = *std::move(jsonl);
  p->dispatcher = std::make_unique<toil::rtlog::internal::Dispatcher>(
      std::vector<toil::rtlog::LogSink*>{p->jsonl.get(), &p->timing});
  toil::rtlog::internal::UdpServerOptions options;
  options.ingest.secret = absl::GetFlag(FLAGS_secret);
  options.listen.port = port;
  options.reuse_port = shared;
  absl::StatusOr<std::unique_ptr<toil::rtlog::internal::UdpServer>> server =
      toil::rtlog::internal::UdpServer::Start(options, p->dispatcher.get());
  if (!server.ok()) return server.status();
  p->server = *std::move(server);
  return absl::OkStatus();
}

}  // namespace

int RunLeader() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  const int count = std::max(1, absl::GetFlag(FLAGS_pipelines));
  std::vector<Pipeline> pipelines(count);
  int port = 0;
  for (int k = 0; k < count; ++k) {
    const absl::Status started = StartPipeline(k, port, count > 1, &pipelines[k]);
    if (!started.ok()) {
      std::fprintf(stderr, "%s\n", started.ToString().c_str());
      return 1;
    }
    if (k == 0) port = pipelines[0].server->local_address().port();
  }
  std::printf("PORT %d\n", port);
  std::fflush(stdout);
  int signal_number;
  sigwait(&stop, &signal_number);
  int64_t received = 0, first = INT64_MAX, last = 0;
  uint64_t dropped = 0, malformed = 0, refused = 0;
  for (Pipeline& p : pipelines) {
    p.server->Stop();
    p.dispatcher->Flush();
    const toil::rtlog::LogStats stats = p.server->stats();
    received += p.timing.count_;
    if (p.timing.count_ > 0) first = std::min(first, p.timing.first_);
    last = std::max(last, p.timing.last_);
    dropped += stats.dropped;
    malformed += stats.malformed;
    refused += stats.forged + stats.unsigned_refused + stats.other_run;
  }
  std::printf(
      "RESULT received=%lld dropped=%llu first=%lld last=%lld rss_kb=%ld "
      "cpu_us=%lld malformed=%llu refused=%llu\n",
      static_cast<long long>(received), static_cast<unsigned long long>(dropped),
      static_cast<long long>(received > 0 ? first : 0), static_cast<long long>(last), PeakRssKb(),
      static_cast<long long>(CpuMicros()), static_cast<unsigned long long>(malformed),
      static_cast<unsigned long long>(refused));
  return 0;
}

}  // namespace toil::bench
