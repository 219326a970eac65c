// Tail entries: a record as the control plane's Tail sends it in the form
// ENTRIES (toil.rtlog.v1.TailEntry in proto/log_control.proto): the sink
// entry itself, which a viewer hands to a sink of its own (a terminal sink,
// a JSON-lines sink) to print exactly what the leader's sink of that kind
// prints. About a third of the bytes of the record's JSON line.
//
// The leader encodes each record once, as it arrives (AppendTailEntry), and
// every viewer's message carries those bytes as they are; a viewer reads them
// back with EntryOf:
//
//   for (const v1::TailEntry& e : response.entries()) terminal.Send(EntryOf(e));
#ifndef TOIL_RTLOG_TAIL_ENTRY_H_
#define TOIL_RTLOG_TAIL_ENTRY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/log_control.pb.h"
#include "toil/rtlog/log_sink.h"

namespace toil::rtlog {

// Appends `entry` as one element of TailResponse.entries (field 4: its tag
// and length, then the TailEntry): exactly protobuf's own bytes for it.
void AppendTailEntry(const LogEntry& entry, std::string* out);

// The sink entry a TailEntry holds; it refers into `entry`.
LogEntry EntryOf(const v1::TailEntry& entry);

// Appends, for each element in `entries` (AppendTailEntry's bytes, back to
// back), the line JsonLinesSink writes for it; an error names what does not
// parse.
absl::Status AppendJsonLines(absl::string_view entries, std::string* out);

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_TAIL_ENTRY_H_
