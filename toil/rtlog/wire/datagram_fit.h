// Making an encoded record fit in one UDP datagram.
//
// A record whose JSON is longer than the limit is not dropped: its longest
// text field is cut at a UTF-8 boundary and marked, e.g.
//   "...the first part [cut: 1048576 bytes, 65201 shown]"
// and the record is encoded again, until it fits.
#ifndef TOIL_RTLOG_WIRE_DATAGRAM_FIT_H_
#define TOIL_RTLOG_WIRE_DATAGRAM_FIT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "proto/log_record.pb.h"

namespace toil::rtlog::internal {

// The largest UDP payload over IPv4: 65535 - 20 (IP) - 8 (UDP).
inline constexpr size_t kMaxDatagramBytes = 65507;

// `kept`, the start of a text of `original_size` bytes, followed by the
// marker " [cut: <original_size> bytes, <kept.size()> shown]".
std::string WithCutMarker(absl::string_view kept, size_t original_size);

// `json` holds EncodeRecord(*record). If it is longer than `limit`, cuts
// text fields of `record` and re-encodes into `json` until it fits. When
// `original_msg_size` is larger than the msg, the msg was cut before (to
// queue it): it is marked with that size even if it fits now. Returns
// whether anything was cut.
bool FitRecordToDatagram(LogRecord* record, std::string* json, size_t limit = kMaxDatagramBytes,
                         size_t original_msg_size = 0);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_WIRE_DATAGRAM_FIT_H_
