// Reading a record's JSON only as far as the leader needs it: the hot path
// of a leader taking a C++ job's stream, where decoding every field into a
// LogRecord cost more than everything else it does per record.
//
// ScanRecord accepts exactly the shape the job side's encoder writes
// (record_encoder.h: its keys in its order, no whitespace, no args, 64-bit
// fields as plain numbers, doubles as JSON numbers) and checks every byte as
// the decoder would (strings: UTF-8, escapes, no raw control characters;
// numbers: JSON's grammar and each field's range). Anything else, including
// a name, msg, hostname or job with an escape in it, is left to the full
// decoder (record_decoder.h). Hand-written for speed; what it accepts, the
// decoder accepts and reads the same (record_scan_test, decoder_fuzzer).
//
//   RecordView view;
//   if (ScanRecord(json, &view)) { ... view.job, view.seq ... }
#ifndef TOIL_RTLOG_WIRE_RECORD_SCAN_H_
#define TOIL_RTLOG_WIRE_RECORD_SCAN_H_

#include "absl/strings/string_view.h"
#include "toil/rtlog/wire/record_view.h"

namespace toil::rtlog::internal {

// Fills `view` (all but `decode`, which it leaves as it was) and returns
// true when `json` has the job side's shape; returns false otherwise (`view`
// then holds nothing useful).
bool ScanRecord(absl::string_view json, RecordView* view);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_WIRE_RECORD_SCAN_H_
