// Encoding a LogRecord as one JSON object; see record_encoder.h.
#include "toil/rtlog/wire/record_encoder.h"

#include <string>

#include "toil/rtlog/wire/json_writer.h"

namespace toil::rtlog::internal {

void AppendJsonValue(const google::protobuf::Value& value, std::string* out) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue:
      AppendJsonDouble(value.number_value(), out);
      break;
    case google::protobuf::Value::kStringValue:
      AppendJsonString(value.string_value(), out);
      break;
    case google::protobuf::Value::kBoolValue:
      out->append(value.bool_value() ? "true" : "false");
      break;
    case google::protobuf::Value::kStructValue: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, item] : value.struct_value().fields()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(key, out);
        out->push_back(':');
        AppendJsonValue(item, out);
      }
      out->push_back('}');
      break;
    }
    case google::protobuf::Value::kListValue: {
      out->push_back('[');
      bool first = true;
      for (const auto& item : value.list_value().values()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonValue(item, out);
      }
      out->push_back(']');
      break;
    }
    case google::protobuf::Value::kNullValue:
    case google::protobuf::Value::KIND_NOT_SET:
      out->append("null");
      break;
  }
}

namespace {

// A 64-bit field's value: a JSON number (the wire: what Python leaders
// expect), or a string (protobuf's JSON mapping, which tools that read
// numbers as doubles, jq among them, keep exact).
char* WriteUint64(uint64_t value, bool as_string, char* p) {
  if (as_string) *p++ = '"';
  p = WriteJsonUint(value, p);
  if (as_string) *p++ = '"';
  return p;
}

}  // namespace

void AppendRecordFields(const LogRecord& r, std::string* out, Uint64Form uint64_form) {
  const bool strings = uint64_form == Uint64Form::kString;
  // args never comes from C++ jobs; when present it is written separately.
  std::string args;
  if (r.has_args()) AppendJsonValue(r.args(), &args);
  // Room for everything at its worst (every byte escaped), then one pass
  // writing through a pointer: the job's log call pays for this.
  size_t bound = 512 + args.size();
  for (const std::string* text : {&r.name(), &r.msg(), &r.levelname(), &r.pathname(), &r.filename(),
                                  &r.module(), &r.func_name(), &r.process_name(), &r.thread_name(),
                                  &r.exc_text(), &r.stack_info(), &r.hostname(), &r.job()}) {
    bound += JsonStringBound(text->size());
  }
  const size_t old_size = out->size();
  out->resize(old_size + bound);
  char* p = out->data() + old_size;
  p = WriteJsonRaw("\"name\":", p);
  p = WriteJsonString(r.name(), p);
  p = WriteJsonRaw(",\"msg\":", p);
  p = WriteJsonString(r.msg(), p);
  if (r.has_args()) {
    p = WriteJsonRaw(",\"args\":", p);
    p = WriteJsonRaw(args, p);
  }
  p = WriteJsonRaw(",\"levelname\":", p);
  p = WriteJsonString(r.levelname(), p);
  p = WriteJsonRaw(",\"levelno\":", p);
  p = WriteJsonInt(r.levelno(), p);
  p = WriteJsonRaw(",\"pathname\":", p);
  p = WriteJsonString(r.pathname(), p);
  p = WriteJsonRaw(",\"filename\":", p);
  p = WriteJsonString(r.filename(), p);
  p = WriteJsonRaw(",\"module\":", p);
  p = WriteJsonString(r.module(), p);
  p = WriteJsonRaw(",\"lineno\":", p);
  p = WriteJsonInt(r.lineno(), p);
  p = WriteJsonRaw(",\"funcName\":", p);
  p = WriteJsonString(r.func_name(), p);
  p = WriteJsonRaw(",\"created\":", p);
  p = WriteJsonDouble(r.created(), p);
  p = WriteJsonRaw(",\"msecs\":", p);
  p = WriteJsonDouble(r.msecs(), p);
  p = WriteJsonRaw(",\"relativeCreated\":", p);
  p = WriteJsonDouble(r.relative_created(), p);
  p = WriteJsonRaw(",\"process\":", p);
  p = WriteJsonInt(r.process(), p);
  p = WriteJsonRaw(",\"processName\":", p);
  p = WriteJsonString(r.process_name(), p);
  p = WriteJsonRaw(",\"thread\":", p);
  p = WriteUint64(r.thread(), strings, p);
  p = WriteJsonRaw(",\"threadName\":", p);
  p = WriteJsonString(r.thread_name(), p);
  p = WriteJsonRaw(",\"exc_text\":", p);
  p = WriteJsonString(r.exc_text(), p);
  p = WriteJsonRaw(",\"stack_info\":", p);
  p = WriteJsonString(r.stack_info(), p);
  p = WriteJsonRaw(",\"hostname\":", p);
  p = WriteJsonString(r.hostname(), p);
  p = WriteJsonRaw(",\"job\":", p);
  p = WriteJsonString(r.job(), p);
  if (r.seq() != 0) {
    p = WriteJsonRaw(",\"seq\":", p);
    p = WriteUint64(r.seq(), strings, p);
  }
  if (r.stream() != 0) {
    p = WriteJsonRaw(",\"stream\":", p);
    p = WriteUint64(r.stream(), strings, p);
  }
  out->resize(p - out->data());
}

void EncodeRecord(const LogRecord& record, std::string* out) {
  out->clear();
  out->push_back('{');
  AppendRecordFields(record, out);
  out->push_back('}');
}

}  // namespace toil::rtlog::internal
