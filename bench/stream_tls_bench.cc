// What the stream's TLS costs the leader per record: a thread writes frames
// of records (64 KiB, as a job sends them) over a loopback TCP connection as
// fast as it can, and the benchmark's thread reads them, plain and through
// TLS with the run's key (the job's and the leader's StreamTlsContext), side
// by side in one run. Only the reading thread's CPU is counted; "record" is
// a typical record's JSON (560 bytes), so "per_record" compares with the
// leader's CPU per record in stream_bench.
//
//   bazel run -c opt //bench:stream_tls_bench -- --benchmark_repetitions=5
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "benchmark/benchmark.h"
#include "toil/rtlog/wire/stream_tls.h"

namespace toil::bench {
namespace {

using rtlog::internal::StreamTlsContext;

constexpr size_t kFrameBytes = 65520;
constexpr size_t kRecordBytes = 560;
constexpr char kSecret[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// Both ends of a loopback TCP connection (blocking).
struct Connection {
  int writer = -1;
  int reader = -1;
  ~Connection() {
    close(writer);
    CloseReader();
  }
  // Closed with data unread, the reader resets the connection: the writer's
  // next write fails, and its thread ends.
  void CloseReader() {
    if (reader >= 0) close(reader);
    reader = -1;
  }
};

bool Connect(Connection* c) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool ok = bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  listen(listener, 1) == 0 &&
                  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
                  (c->writer = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
                  connect(c->writer, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  (c->reader = accept(listener, nullptr, nullptr)) >= 0;
  close(listener);
  return ok;
}

// Reads frames, plain or through `ssl`, one frame per iteration.
void ReadFrames(benchmark::State& state, int fd, SSL* ssl) {
  std::string buffer(kFrameBytes, '\0');
  for (auto _ : state) {
    size_t got = 0;
    while (got < kFrameBytes) {
      const int n = ssl != nullptr
                        ? SSL_read(ssl, buffer.data() + got, static_cast<int>(kFrameBytes - got))
                        : static_cast<int>(read(fd, buffer.data() + got, kFrameBytes - got));
      if (n <= 0) {
        state.SkipWithError("the connection ended");
        return;
      }
      got += static_cast<size_t>(n);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kFrameBytes));
  state.counters["per_record"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kFrameBytes) / kRecordBytes,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_ReadPlain(benchmark::State& state) {
  Connection c;
  if (!Connect(&c)) return state.SkipWithError("no loopback connection");
  std::thread writer([&] {
    const std::string frame(kFrameBytes, 'x');
    while (send(c.writer, frame.data(), frame.size(), MSG_NOSIGNAL) > 0) {
    }
  });
  ReadFrames(state, c.reader, nullptr);
  c.CloseReader();
  writer.join();
}
BENCHMARK(BM_ReadPlain);

void BM_ReadTls(benchmark::State& state) {
  auto client = StreamTlsContext::Create(kSecret, StreamTlsContext::kClient);
  auto server = StreamTlsContext::Create(kSecret, StreamTlsContext::kServer);
  if (!client.ok() || !server.ok()) return state.SkipWithError("no TLS context");
  Connection c;
  if (!Connect(&c)) return state.SkipWithError("no loopback connection");
  SSL* job = SSL_new((*client)->get());
  SSL* leader = SSL_new((*server)->get());
  SSL_set_fd(job, c.writer);
  SSL_set_fd(leader, c.reader);
  std::atomic<bool> connected{false};
  std::thread writer([&] {
    if (SSL_connect(job) != 1) return;
    connected = true;
    const std::string frame(kFrameBytes, 'x');
    while (SSL_write(job, frame.data(), static_cast<int>(frame.size())) > 0) {
    }
  });
  if (SSL_accept(leader) == 1) {
    ReadFrames(state, c.reader, leader);
  } else {
    state.SkipWithError("no TLS handshake");
  }
  c.CloseReader();
  writer.join();
  SSL_free(job);
  SSL_free(leader);
}
BENCHMARK(BM_ReadTls);

}  // namespace
}  // namespace toil::bench

BENCHMARK_MAIN();
