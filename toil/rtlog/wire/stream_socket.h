// The TCP options both ends of a stream connection set, so that a record
// waits as little as TCP allows: no Nagle delay, and retransmission
// timeouts fit for a cluster's network rather than the Internet's. TCP's
// own minimum (200 ms) and its exponential backoff (up to 120 s) turn a
// lossy path into seconds of delay; here a lost segment is sent again after
// kMinRetransmission plus the measured round trip, and the backoff stops at
// kMaxRetransmission, the least Linux takes. A retransmission that was not
// needed (an acknowledgement held back by the peer) costs a packet, which
// TCP detects and undoes. Where the kernel predates these options (Linux
// 6.15: TCP_RTO_MIN_US, TCP_RTO_MAX_MS), TCP's defaults stay. A peer that
// stops answering is then given up after about 15 s of retransmissions
// (instead of 15 minutes), and the job connects again.
//
// Set before the connection carries data: the job on its socket before
// connect(2), the leader on each socket it accepts.
#ifndef TOIL_RTLOG_WIRE_STREAM_SOCKET_H_
#define TOIL_RTLOG_WIRE_STREAM_SOCKET_H_

#include <netinet/tcp.h>

#include "absl/time/time.h"

// Linux 6.15's, past the headers of older C libraries.
#ifndef TCP_RTO_MAX_MS
#define TCP_RTO_MAX_MS 44
#endif
#ifndef TCP_RTO_MIN_US
#define TCP_RTO_MIN_US 45
#endif

namespace toil::rtlog::internal {

inline constexpr absl::Duration kMinRetransmission = absl::Milliseconds(10);
inline constexpr absl::Duration kMaxRetransmission = absl::Seconds(1);

// Whether the retransmission timeouts could be set (false on an older
// kernel); TCP_NODELAY is set either way.
bool TuneStreamSocket(int fd);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_WIRE_STREAM_SOCKET_H_
