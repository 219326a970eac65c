// Tail entries: a record as the control plane's Tail sends it in the form
// ENTRIES (toil.rtlog.v1.TailEntry in proto/log_control.proto): the sink
// entry itself, which a viewer hands to a sink of its own (a terminal sink,
// a JSON-lines sink) to print exactly what the leader's sink of that kind
// prints. About a third of the bytes of the record's JSON line.
//
// The leader encodes each record once, as it arrives (AppendTailEntry), and
// every viewer's message carries those bytes as they are; a viewer reads them
// back with a TailEntryReader (or parses a v1::TailEntry and calls EntryOf):
//
//   TailEntryReader reader;
//   for (const std::string& bytes : response.entries()) {
//     absl::StatusOr<LogEntry> entry = reader.Read(bytes);
//     if (entry.ok()) terminal.Send(*entry);
//   }
#ifndef TOIL_RTLOG_SINKS_TAIL_ENTRY_H_
#define TOIL_RTLOG_SINKS_TAIL_ENTRY_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/log_control.pb.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace toil::rtlog {

// Appends `entry` as one element of TailResponse.entries (field 4: its tag
// and length, then the TailEntry): exactly protobuf's own bytes for it.
void AppendTailEntry(const LogEntry& entry, std::string* out);

// The sink entry a TailEntry holds; it refers into `entry`.
LogEntry EntryOf(const v1::TailEntry& entry);

// Reads serialized TailEntry messages into memory it keeps from one to the
// next: after the first few, a record costs no allocation (a v1::TailEntry
// parsed anew allocates each of the record's strings). The entry it returns
// refers into the reader, and is valid until the next Read.
class TailEntryReader {
 public:
  // `bytes`: one serialized TailEntry (an element of TailResponse.entries).
  absl::StatusOr<LogEntry> Read(absl::string_view bytes);

 private:
  LogRecord record_;
  std::string record_bytes_;
  std::string message_;
  bool has_message_ = false;
  bool unformatted_ = false;
  std::string sender_;
  std::string raw_args_;
  uint64_t authenticity_ = 0;
};

// Appends, for each element in `entries` (AppendTailEntry's bytes, back to
// back), the line JsonLinesSink writes for it; an error names what does not
// parse.
absl::Status AppendJsonLines(absl::string_view entries, std::string* out);

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_SINKS_TAIL_ENTRY_H_
