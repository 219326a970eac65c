// Messages as one line of JSON; see proto_json.h.
#include "toil/rtlog/base/proto_json.h"

#include "google/protobuf/util/json_util.h"

namespace toil::rtlog {

std::string ProtoJsonLine(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  // Printing a message the program built itself cannot fail (it fails only
  // on unresolvable Any types, which these messages do not hold).
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  json.push_back('\n');
  return json;
}

}  // namespace toil::rtlog
