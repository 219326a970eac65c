// TLS with the run's secret as its key, over a real socket pair: the same
// secret connects both ways and carries bytes; another run's secret is
// refused by both sides.
#include "toil/rtlog/wire/stream_tls.h"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "toil/rtlog/wire/datagram_auth.h"

namespace toil::rtlog::internal {
namespace {

struct Ends {
  bool server_ok = false;
  bool client_ok = false;
  std::string received;
};

Ends Connect(const std::string& server_secret, const std::string& client_secret) {
  signal(SIGPIPE, SIG_IGN);  // a side that gave up closes its end
  auto server = StreamTlsContext::Create(server_secret, StreamTlsContext::kServer);
  auto client = StreamTlsContext::Create(client_secret, StreamTlsContext::kClient);
  EXPECT_TRUE(server.ok() && client.ok());
  int fds[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  Ends ends;
  std::thread leader([&] {
    SSL* ssl = SSL_new((*server)->get());
    SSL_set_fd(ssl, fds[0]);
    ends.server_ok = SSL_accept(ssl) == 1;
    char buffer[64];
    const int n = ends.server_ok ? SSL_read(ssl, buffer, sizeof(buffer)) : 0;
    if (n > 0) ends.received.assign(buffer, n);
    SSL_free(ssl);
    close(fds[0]);
  });
  SSL* ssl = SSL_new((*client)->get());
  SSL_set_fd(ssl, fds[1]);
  ends.client_ok = SSL_connect(ssl) == 1;
  if (ends.client_ok) SSL_write(ssl, "hello", 5);
  SSL_shutdown(ssl);
  close(fds[1]);
  leader.join();
  SSL_free(ssl);
  TlsError();  // clear the thread's error queue
  return ends;
}

TEST(StreamTlsTest, TheRunsSecretConnectsAndCarriesBytes) {
  const std::string secret = *DatagramAuth::NewSecret();
  const Ends ends = Connect(secret, secret);
  EXPECT_TRUE(ends.server_ok);
  EXPECT_TRUE(ends.client_ok);
  EXPECT_EQ(ends.received, "hello");
}

TEST(StreamTlsTest, AnotherRunsSecretIsRefusedByBothSides) {
  const Ends ends = Connect(*DatagramAuth::NewSecret(), *DatagramAuth::NewSecret());
  EXPECT_FALSE(ends.server_ok);
  EXPECT_FALSE(ends.client_ok);
  EXPECT_EQ(ends.received, "");
}

TEST(StreamTlsTest, ABadSecretIsRefusedBeforeAnyConnection) {
  EXPECT_FALSE(StreamTlsContext::Create("not hex", StreamTlsContext::kClient).ok());
}

}  // namespace
}  // namespace toil::rtlog::internal
