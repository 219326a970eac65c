// TuneStreamSocket on a real socket: no Nagle delay; where the kernel has
// the options (Linux 6.15 and later), the retransmission timeouts read back
// as set, and where it has not, it says so and leaves TCP's defaults.
#include "toil/rtlog/wire/stream_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace toil::rtlog::internal {
namespace {

int Option(int fd, int name) {
  int value = -1;
  socklen_t length = sizeof(value);
  if (getsockopt(fd, IPPROTO_TCP, name, &value, &length) != 0) return -1;
  return value;
}

TEST(StreamSocketTest, RetransmitsSoonWhereTheKernelAllows) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  const bool kernel_has_them = Option(fd, TCP_RTO_MAX_MS) > 0;
  EXPECT_EQ(TuneStreamSocket(fd), kernel_has_them);
  EXPECT_EQ(Option(fd, TCP_NODELAY), 1);
  if (kernel_has_them) {
    // Kept in the kernel's clock ticks (1-10 ms), so rounded up to one.
    const int64_t min_us = absl::ToInt64Microseconds(kMinRetransmission);
    EXPECT_GE(Option(fd, TCP_RTO_MIN_US), min_us);
    EXPECT_LE(Option(fd, TCP_RTO_MIN_US), min_us + 10000);
    EXPECT_EQ(Option(fd, TCP_RTO_MAX_MS), absl::ToInt64Milliseconds(kMaxRetransmission));
  }
  close(fd);
}

}  // namespace
}  // namespace toil::rtlog::internal
