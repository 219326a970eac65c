// RecordView: a received record read only as far as the leader's own work
// needs it (record_scan.h finds these fields in its JSON without decoding
// the rest). The leader counts, orders and writes most records from this
// alone; whatever asks for another field gets the whole record, decoded then
// (`decode`), once.
#ifndef TOIL_RTLOG_WIRE_RECORD_VIEW_H_
#define TOIL_RTLOG_WIRE_RECORD_VIEW_H_

#include <array>
#include <cstdint>
#include <functional>

#include "absl/strings/string_view.h"

namespace toil::rtlog {

class LogRecord;  // the wire's record (proto/log_record.proto)

namespace internal {

struct RecordView {
  // Where a 64-bit number's digits are in `json` (offsets); empty when the
  // record has no such field.
  struct Span {
    uint32_t begin = 0;
    uint32_t end = 0;
  };

  // The record's JSON object as it arrived, braces included: the job side's
  // encoder's keys in its order (record_encoder.h), 64-bit fields as numbers.
  absl::string_view json;
  // These four have no escapes in the JSON: the text is the value.
  absl::string_view name;
  absl::string_view msg;
  absl::string_view hostname;
  absl::string_view job;
  int32_t levelno = 0;
  int32_t process = 0;
  double created = 0;
  uint64_t thread = 0;
  uint64_t seq = 0;
  uint64_t stream = 0;
  // thread, seq and stream in `json`, for writers that quote them.
  std::array<Span, 3> uint64_spans{};
  // The whole record, decoded from `json` (set by whoever made the view).
  std::function<const LogRecord&()> decode;
};

}  // namespace internal
}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_WIRE_RECORD_VIEW_H_
