// Fuzz target: one datagram, as the leader receives it from anyone on the
// network. The decoder must refuse it cleanly or decode it; what it decodes
// must render to terminal-safe text (its sender fields on one line, the
// record's line with no line of its own from the record), and must survive an encode/decode round
// trip unchanged (compared as messages: a Struct's key order is the map's).
// Decoding with and without building args' protobuf Value must agree on what
// is valid; the leader's decoder, which also takes what Python's json.dumps
// writes beyond JSON (NaN, Infinity, integers of any size), must accept at
// least as much, and what it alone accepts must render terminal-safe too.
// What the leader's scan takes, its decoder must take, reading the same.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "fuzz/terminal_check.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/message_differencer.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/common/line_format.h"
#include "toil/rtlog/leader/format/python_format.h"
#include "toil/rtlog/wire/record_decoder.h"
#include "toil/rtlog/wire/record_encoder.h"
#include "toil/rtlog/wire/record_scan.h"

namespace {

using toil::rtlog::LogRecord;
using namespace toil::rtlog::internal;  // NOLINT: a fuzz target's whole subject

void Fail(const char* what, absl::string_view a, absl::string_view b) {
  std::fprintf(stderr, "%s\n--- first\n%.*s\n--- second\n%.*s\n", what, static_cast<int>(a.size()),
               a.data(), static_cast<int>(b.size()), b.data());
  std::abort();
}

// What the leader's scan takes (record_scan.h), its decoder takes, and the
// two read the same.
void CheckScanAgrees(absl::string_view input, bool decoded, const LogRecord& record) {
  RecordView view;
  if (!ScanRecord(input, &view)) return;
  if (!decoded) Fail("the scan takes what the leader's decoder refuses", input, "");
  const bool same = view.name == record.name() && view.msg == record.msg() &&
                    view.hostname == record.hostname() && view.job == record.job() &&
                    view.levelno == record.levelno() && view.process == record.process() &&
                    view.created == record.created() && view.thread == record.thread() &&
                    view.seq == record.seq() && view.stream == record.stream() &&
                    !record.has_args();
  if (!same) Fail("the scan and the decoder read different records", input, record.DebugString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static RecordDecoder* strict = [] {
    auto* d = new RecordDecoder();
    d->set_decode_args_value(false);
    return d;
  }();
  static RecordDecoder* leader = [] {
    auto* d = new RecordDecoder();
    d->set_decode_args_value(false);
    d->set_python_json(true);
    return d;
  }();
  static RecordDecoder* full = new RecordDecoder();
  const absl::string_view input(reinterpret_cast<const char*>(data), size);

  LogRecord strict_record;
  const bool strict_ok = strict->Decode(input, &strict_record).ok();
  LogRecord full_record;
  const bool full_ok = full->Decode(input, &full_record).ok();
  if (strict_ok != full_ok) {
    Fail("the leader's decode and the full decode disagree", input, "");
  }
  LogRecord record;
  const bool leader_ok = leader->Decode(input, &record).ok();
  if (strict_ok && !leader_ok) {
    Fail("the leader's Python-JSON decode refuses what strict JSON takes", input, "");
  }
  CheckScanAgrees(input, leader_ok, record);
  if (!leader_ok) return 0;

  // What the terminal sink would print.
  std::string message;
  RenderMessage(record, leader->raw_args(), leader->raw_msg(), &message);
  LineFormatOptions options;
  options.time_zone = absl::UTCTimeZone();
  std::string line;
  AppendRecordLine(record, message, options, &line, "192.0.2.1:5000");
  toil::rtlog::fuzz::CheckTerminalSafe(line);
  toil::rtlog::fuzz::CheckOneRecord(line);
  // Who sent it, as warnings, `senders` and the report show it.
  std::string label;
  AppendSenderLabel(record, "192.0.2.1:5000", &label);
  toil::rtlog::fuzz::CheckTerminalSafe(label);
  toil::rtlog::fuzz::CheckOneLine(label);

  if (!full_ok) return 0;  // what only Python's json writes: no protobuf round trip
  // Round trip of the fully decoded record.
  std::string once;
  EncodeRecord(full_record, &once);
  LogRecord again;
  if (!full->Decode(once, &again).ok()) {
    Fail("the encoder's output does not decode", input, once);
  }
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  std::string difference;
  differencer.ReportDifferencesToString(&difference);
  if (!differencer.Compare(full_record, again)) {
    Fail("decode(encode(r)) != r", once, difference);
  }
  return 0;
}
