// Rendering a record's message; see python_format.h.
#include "toil/rtlog/internal/python_format.h"

#include "toil/rtlog/internal/record_codec.h"

namespace toil::rtlog::internal {

bool RenderMessage(const LogRecord& record, std::string* out) {
  out->assign(record.msg());
  // Python applies no formatting when args is empty (or absent).
  const google::protobuf::Value& args = record.args();
  const bool no_args =
      !record.has_args() ||
      args.kind_case() == google::protobuf::Value::kNullValue ||
      (args.has_list_value() && args.list_value().values_size() == 0) ||
      (args.has_struct_value() && args.struct_value().fields_size() == 0);
  if (no_args) return true;
  // %-formatting of Python records is not implemented yet: show msg and the
  // args, marked, rather than lose them.
  out->append(" [unformatted; args: ");
  AppendJsonValue(args, out);
  out->append("]");
  return false;
}

}  // namespace toil::rtlog::internal
