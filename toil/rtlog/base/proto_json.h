// The JSON that scripts read from toil-rtlog (the end-of-run report, `status
// --json`, `senders --json`): protobuf's JSON mapping of a message, with the
// field names of its .proto and every field present, zero or not, as one line.
//
//   std::string line = ProtoJsonLine(report);  // "{...}\n"
#ifndef TOIL_RTLOG_BASE_PROTO_JSON_H_
#define TOIL_RTLOG_BASE_PROTO_JSON_H_

#include <string>

#include "google/protobuf/message.h"

namespace toil::rtlog {

// One line of JSON, ending in '\n'.
std::string ProtoJsonLine(const google::protobuf::Message& message);

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_BASE_PROTO_JSON_H_
