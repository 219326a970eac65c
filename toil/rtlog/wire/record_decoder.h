// Decoding one datagram's JSON object into a LogRecord, on the leader
// (simdjson on demand; the job side never decodes).
//
// Hand-written because the leader's receive path runs it for every datagram
// and protobuf's JSON utilities are slow there; the tests check it against
// JsonStringToMessage.
//
//   RecordDecoder decoder;                 // reuse: it owns simdjson buffers
//   absl::Status s = decoder.Decode(json, &record);
#ifndef TOIL_RTLOG_WIRE_RECORD_DECODER_H_
#define TOIL_RTLOG_WIRE_RECORD_DECODER_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/log_record.pb.h"

namespace toil::rtlog::internal {

// Parses one JSON object into a LogRecord, with the semantics of protobuf's
// JsonStringToMessage with unknown fields ignored: keys may be the JSON name
// or the proto field name, null means the default, integers may be numbers or
// decimal strings, doubles may be "NaN"/"Infinity". Unknown keys are skipped,
// but their values must still be valid JSON. Nesting deeper than
// kMaxDepth is refused.
//
// Two departures, for Python jobs: a `msg` that is not a string (Python jobs
// may log any object) is accepted, kept as its JSON text, and reported by
// raw_msg(); and the JSON text of `args` is reported by raw_args(), because
// Python's %-formatting needs what protobuf's Value loses (int vs float, the
// order of a dict's keys). Protobuf is stricter than Python's json.loads in
// one more place: the decoder, like json.loads, refuses a trailing comma.
class RecordDecoder {
 public:
  static constexpr int kMaxDepth = 64;  // kMaxJsonDepth (json_walk.h)
  // Bytes that must be readable past the end of the data given to
  // DecodePadded (simdjson reads ahead).
  static const size_t kPadding;

  RecordDecoder();
  ~RecordDecoder();
  RecordDecoder(const RecordDecoder&) = delete;
  RecordDecoder& operator=(const RecordDecoder&) = delete;

  // Copies `json` into an internal padded buffer, then decodes it.
  absl::Status Decode(absl::string_view json, LogRecord* out);

  // Decodes in place: `data` must have `size + kPadding` readable bytes.
  absl::Status DecodePadded(const char* data, size_t size, LogRecord* out);

  // Whether `args` is also decoded into the record's protobuf Value (the
  // default, protobuf's semantics). The leader turns this off: it formats
  // and writes args from raw_args(), and so skips building the Value tree.
  // The args are validated as JSON either way.
  void set_decode_args_value(bool decode) { decode_args_value_ = decode; }

  // Whether `args` and unknown keys may hold what Python's json.dumps writes
  // beyond strict JSON: NaN, Infinity, -Infinity (for float('nan'), ...) and
  // integers beyond a double's range (Python's are exact at any size). The
  // leader turns this on: a Python job's record is not refused for them. Off
  // (the default) is protobuf's JSON, which refuses them.
  void set_python_json(bool python_json) { python_json_ = python_json; }

  // After a successful decode: the JSON text of `args` ("" when absent), and
  // of `msg` when it was not a JSON string (else ""). They point into the
  // decoded data (or the decoder's copy of it) and live as long as it.
  absl::string_view raw_args() const;
  absl::string_view raw_msg() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool decode_args_value_ = true;
  bool python_json_ = false;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_WIRE_RECORD_DECODER_H_
