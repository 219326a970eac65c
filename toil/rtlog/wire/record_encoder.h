// Encoding a LogRecord as one JSON object: the protobuf JSON mapping of
// proto/log_record.proto, whose keys are Python LogRecord attribute names.
// The job's sender thread encodes every record it sends; the leader's
// JSON-lines sink reuses the field writer.
//
// Hand-written because it runs for every record; the tests check it against
// protobuf's MessageToJsonString and JsonStringToMessage.
//
//   std::string json;
//   EncodeRecord(record, &json);
#ifndef TOIL_RTLOG_WIRE_RECORD_ENCODER_H_
#define TOIL_RTLOG_WIRE_RECORD_ENCODER_H_

#include <string>

#include "proto/log_record.pb.h"

namespace toil::rtlog::internal {

// Writes `record` as one JSON object into `*out` (replacing its contents).
// Every scalar field is written, defaults included, so Python leaders find
// each attribute; `args` only when set, and `seq` and `stream` (which Python
// LogRecords do not have) only when nonzero. 64-bit integers are JSON numbers.
void EncodeRecord(const LogRecord& record, std::string* out);

// How the 64-bit fields (thread, seq, stream) are written: as JSON numbers
// (the wire, as Python leaders expect them), or as decimal strings
// (protobuf's JSON mapping; JSON lines, for tools such as jq that would
// round numbers past 2^53).
enum class Uint64Form { kNumber, kString };

// Appends the fields of `record` as `"key":value` pairs separated by commas,
// without the braces, so callers can add keys of their own.
void AppendRecordFields(const LogRecord& record, std::string* out,
                        Uint64Form uint64_form = Uint64Form::kNumber);

// Appends a google.protobuf.Value as JSON.
void AppendJsonValue(const google::protobuf::Value& value, std::string* out);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_WIRE_RECORD_ENCODER_H_
