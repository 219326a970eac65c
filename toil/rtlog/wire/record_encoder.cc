// Encoding a LogRecord as one JSON object; see record_encoder.h.
#include "toil/rtlog/wire/record_encoder.h"

#include <cstring>
#include <string>

#include "toil/rtlog/wire/json_writer.h"

namespace toil::rtlog::internal {

namespace {

// Copies a string literal without its terminating NUL.
template <size_t N>
char* Literal(char* out, const char (&text)[N]) {
  std::memcpy(out, text, N - 1);
  return out + N - 1;
}

}  // namespace

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
  p = Literal(p, "\"name\":");
  p = WriteJsonString(r.name(), p);
  p = Literal(p, ",\"msg\":");
  p = WriteJsonString(r.msg(), p);
  if (r.has_args()) {
    p = Literal(p, ",\"args\":");
    std::memcpy(p, args.data(), args.size());
    p += args.size();
  }
  p = Literal(p, ",\"levelname\":");
  p = WriteJsonString(r.levelname(), p);
  p = Literal(p, ",\"levelno\":");
  p = WriteJsonInt(r.levelno(), p);
  p = Literal(p, ",\"pathname\":");
  p = WriteJsonString(r.pathname(), p);
  p = Literal(p, ",\"filename\":");
  p = WriteJsonString(r.filename(), p);
  p = Literal(p, ",\"module\":");
  p = WriteJsonString(r.module(), p);
  p = Literal(p, ",\"lineno\":");
  p = WriteJsonInt(r.lineno(), p);
  p = Literal(p, ",\"funcName\":");
  p = WriteJsonString(r.func_name(), p);
  p = Literal(p, ",\"created\":");
  p = WriteJsonDouble(r.created(), p);
  p = Literal(p, ",\"msecs\":");
  p = WriteJsonDouble(r.msecs(), p);
  p = Literal(p, ",\"relativeCreated\":");
  p = WriteJsonDouble(r.relative_created(), p);
  p = Literal(p, ",\"process\":");
  p = WriteJsonInt(r.process(), p);
  p = Literal(p, ",\"processName\":");
  p = WriteJsonString(r.process_name(), p);
  p = Literal(p, ",\"thread\":");
  p = WriteUint64(r.thread(), strings, p);
  p = Literal(p, ",\"threadName\":");
  p = WriteJsonString(r.thread_name(), p);
  p = Literal(p, ",\"exc_text\":");
  p = WriteJsonString(r.exc_text(), p);
  p = Literal(p, ",\"stack_info\":");
  p = WriteJsonString(r.stack_info(), p);
  p = Literal(p, ",\"hostname\":");
  p = WriteJsonString(r.hostname(), p);
  p = Literal(p, ",\"job\":");
  p = WriteJsonString(r.job(), p);
  if (r.seq() != 0) {
    p = Literal(p, ",\"seq\":");
    p = WriteUint64(r.seq(), strings, p);
  }
  if (r.stream() != 0) {
    p = Literal(p, ",\"stream\":");
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
