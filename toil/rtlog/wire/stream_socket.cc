// TCP options of a stream connection; see stream_socket.h.
#include "toil/rtlog/wire/stream_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace toil::rtlog::internal {

bool TuneStreamSocket(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const int min_us = static_cast<int>(absl::ToInt64Microseconds(kMinRetransmission));
  const int max_ms = static_cast<int>(absl::ToInt64Milliseconds(kMaxRetransmission));
  const bool min_set = setsockopt(fd, IPPROTO_TCP, TCP_RTO_MIN_US, &min_us, sizeof(min_us)) == 0;
  const bool max_set = setsockopt(fd, IPPROTO_TCP, TCP_RTO_MAX_MS, &max_ms, sizeof(max_ms)) == 0;
  return min_set && max_set;
}

}  // namespace toil::rtlog::internal
