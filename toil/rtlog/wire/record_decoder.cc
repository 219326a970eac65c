// Decoding one JSON object into a LogRecord (simdjson on demand); see
// record_decoder.h.
#include "toil/rtlog/wire/record_decoder.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "simdjson.h"
#include "toil/rtlog/wire/json_walk.h"

namespace toil::rtlog::internal {

namespace od = simdjson::ondemand;

namespace {

enum class Field {
  kUnknown,
  kName,
  kMsg,
  kArgs,
  kLevelname,
  kLevelno,
  kPathname,
  kFilename,
  kModule,
  kLineno,
  kFuncName,
  kCreated,
  kMsecs,
  kRelativeCreated,
  kProcess,
  kProcessName,
  kThread,
  kThreadName,
  kExcText,
  kStackInfo,
  kHostname,
  kJob,
  kSeq,
  kStream,
};

// Keys are the JSON names, or the proto field names where those differ
// (both are accepted, as by JsonStringToMessage). Looked up by length first:
// this runs for every key of every datagram.
Field LookUpField(std::string_view key) {
  auto is = [&](std::string_view name) { return key == name; };
  switch (key.size()) {
    case 3:
      if (is("msg")) return Field::kMsg;
      if (is("job")) return Field::kJob;
      if (is("seq")) return Field::kSeq;
      break;
    case 4:
      if (is("name")) return Field::kName;
      if (is("args")) return Field::kArgs;
      break;
    case 5:
      if (is("msecs")) return Field::kMsecs;
      break;
    case 6:
      if (is("lineno")) return Field::kLineno;
      if (is("module")) return Field::kModule;
      if (is("thread")) return Field::kThread;
      if (is("stream")) return Field::kStream;
      break;
    case 7:
      if (is("levelno")) return Field::kLevelno;
      if (is("created")) return Field::kCreated;
      if (is("process")) return Field::kProcess;
      break;
    case 8:
      if (is("pathname")) return Field::kPathname;
      if (is("filename")) return Field::kFilename;
      if (is("funcName")) return Field::kFuncName;
      if (is("exc_text")) return Field::kExcText;
      if (is("hostname")) return Field::kHostname;
      break;
    case 9:
      if (is("levelname")) return Field::kLevelname;
      if (is("func_name")) return Field::kFuncName;
      break;
    case 10:
      if (is("threadName")) return Field::kThreadName;
      if (is("stack_info")) return Field::kStackInfo;
      break;
    case 11:
      if (is("processName")) return Field::kProcessName;
      if (is("thread_name")) return Field::kThreadName;
      break;
    case 12:
      if (is("process_name")) return Field::kProcessName;
      break;
    case 15:
      if (is("relativeCreated")) return Field::kRelativeCreated;
      break;
    case 16:
      if (is("relative_created")) return Field::kRelativeCreated;
      break;
  }
  return Field::kUnknown;
}

// Debian's Abseil has its own string_view type, distinct from std's.
absl::string_view AsAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

absl::Status FieldError(std::string_view key, std::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("field \"", AsAbsl(key), "\": expected ", AsAbsl(expected)));
}

absl::Status DecodeString(od::value& value, std::string_view key, std::string* out) {
  // The common case first: one call.
  std::string_view fast;
  if (value.get_string().get(fast) == simdjson::SUCCESS) {
    out->assign(fast.data(), fast.size());
    return absl::OkStatus();
  }
  od::json_type type;
  if (auto error = value.type().get(type)) return JsonError(error);
  if (type == od::json_type::null) {
    bool is_null = false;
    if (auto error = value.is_null().get(is_null); error || !is_null) {
      return FieldError(key, "a string");
    }
    out->clear();
    return absl::OkStatus();
  }
  if (type != od::json_type::string) return FieldError(key, "a string");
  std::string_view text;
  if (auto error = value.get_string().get(text)) return JsonError(error);
  out->assign(text.data(), text.size());
  return absl::OkStatus();
}

// The error for an integer field; `in_range` when the value was an integer,
// only too large or too small.
template <typename Int>
absl::Status IntegerError(std::string_view key, bool in_range = false) {
  constexpr std::string_view kExpected =
      std::is_signed_v<Int> ? "an integer" : "a non-negative integer";
  if (!in_range) return FieldError(key, kExpected);
  return FieldError(key, absl::StrCat(AsAbsl(kExpected), " in range"));
}

// A JSON number into an integer field: an integer in range, or a double
// with an integral value in range.
template <typename Int>
absl::Status IntegerFromNumber(od::value& value, std::string_view key, Int* out) {
  od::number_type number_type;
  if (auto error = value.get_number_type().get(number_type)) return JsonError(error);
  if (number_type == od::number_type::signed_integer) {
    int64_t v;
    if (auto error = value.get_int64().get(v)) return JsonError(error);
    if (v < static_cast<int64_t>(std::numeric_limits<Int>::min()) ||
        (std::is_signed_v<Int> && v > static_cast<int64_t>(std::numeric_limits<Int>::max()))) {
      return IntegerError<Int>(key, /*in_range=*/true);
    }
    *out = static_cast<Int>(v);
    return absl::OkStatus();
  }
  if (number_type == od::number_type::unsigned_integer) {
    uint64_t v;
    if (auto error = value.get_uint64().get(v)) return JsonError(error);
    if (v > static_cast<uint64_t>(std::numeric_limits<Int>::max())) {
      return IntegerError<Int>(key, /*in_range=*/true);
    }
    *out = static_cast<Int>(v);
    return absl::OkStatus();
  }
  double d;
  if (auto error = value.get_double().get(d)) return JsonError(error);
  // [min, 2^bits) for the type: exact powers of two as doubles.
  constexpr double kLow = static_cast<double>(std::numeric_limits<Int>::min());
  constexpr double kHighExclusive =
      2.0 * static_cast<double>(std::numeric_limits<Int>::max() / 2 + 1);
  if (!(d == std::floor(d)) || d < kLow || d >= kHighExclusive) {
    return IntegerError<Int>(key);
  }
  *out = static_cast<Int>(d);
  return absl::OkStatus();
}

// The common case: a plain integer in range, in one call.
template <typename Int>
bool FastInteger(od::value& value, Int* out) {
  if constexpr (std::is_signed_v<Int>) {
    int64_t fast;
    if (value.get_int64().get(fast) != simdjson::SUCCESS ||
        fast < std::numeric_limits<Int>::min() || fast > std::numeric_limits<Int>::max()) {
      return false;
    }
    *out = static_cast<Int>(fast);
  } else {
    uint64_t fast;
    if (value.get_uint64().get(fast) != simdjson::SUCCESS ||
        fast > std::numeric_limits<Int>::max()) {
      return false;
    }
    *out = static_cast<Int>(fast);
  }
  return true;
}

// Integers: a JSON number with an integral value in range, or a decimal
// string; null means 0.
template <typename Int>
absl::Status DecodeInteger(od::value& value, std::string_view key, Int* out) {
  if (FastInteger(value, out)) return absl::OkStatus();
  od::json_type type;
  if (auto error = value.type().get(type)) return JsonError(error);
  switch (type) {
    case od::json_type::null: {
      bool is_null = false;
      if (auto error = value.is_null().get(is_null); error || !is_null) {
        return IntegerError<Int>(key);
      }
      *out = 0;
      return absl::OkStatus();
    }
    case od::json_type::number:
      return IntegerFromNumber(value, key, out);
    case od::json_type::string: {
      std::string_view text;
      if (auto error = value.get_string().get(text)) return JsonError(error);
      Int v;
      if (!absl::SimpleAtoi(AsAbsl(text), &v)) return IntegerError<Int>(key);
      *out = v;
      return absl::OkStatus();
    }
    default:
      return IntegerError<Int>(key);
  }
}

absl::Status DecodeDouble(od::value& value, std::string_view key, double* out) {
  if (value.get_double().get(*out) == simdjson::SUCCESS) return absl::OkStatus();
  od::json_type type;
  if (auto error = value.type().get(type)) return JsonError(error);
  switch (type) {
    case od::json_type::null: {
      bool is_null = false;
      if (auto error = value.is_null().get(is_null); error || !is_null) {
        return FieldError(key, "a number");
      }
      *out = 0;
      return absl::OkStatus();
    }
    case od::json_type::number:
      if (auto error = value.get_double().get(*out)) return JsonError(error);
      return absl::OkStatus();
    case od::json_type::string: {
      std::string_view text;
      if (auto error = value.get_string().get(text)) return JsonError(error);
      if (text == "NaN") {
        *out = std::numeric_limits<double>::quiet_NaN();
      } else if (text == "Infinity") {
        *out = std::numeric_limits<double>::infinity();
      } else if (text == "-Infinity") {
        *out = -std::numeric_limits<double>::infinity();
      } else if (text.empty() || !absl::SimpleAtod(AsAbsl(text), out) || std::isnan(*out) ||
                 std::isinf(*out)) {
        return FieldError(key, "a number");
      }
      return absl::OkStatus();
    }
    default:
      return FieldError(key, "a number");
  }
}

// Builds a google.protobuf.Value from a walk (json_walk.h); a null node only
// checks the value (unknown fields, and args when the caller opted out).
struct ProtoValueBuilder {
  using Node = google::protobuf::Value*;
  // What Python's json.dumps writes beyond strict JSON (NaN, Infinity,
  // -Infinity, integers past a double's range) is accepted.
  bool python_json = false;
  void Null(Node v) {
    if (v) v->set_null_value(google::protobuf::NULL_VALUE);
  }
  void Bool(Node v, bool b) {
    if (v) v->set_bool_value(b);
  }
  void String(Node v, std::string_view text) {
    if (v) v->set_string_value(text.data(), text.size());
  }
  absl::Status Number(Node v, od::value& value) {
    double d;
    if (auto error = value.get_double().get(d)) {
      if (!python_json || !IsJsonInteger(TrimJsonSpace(value.raw_json_token()))) {
        return JsonError(error);
      }
      // An integer of any size (Python's): beyond a double, its sign's infinity.
      d = TrimJsonSpace(value.raw_json_token())[0] == '-' ? -std::numeric_limits<double>::infinity()
                                                          : std::numeric_limits<double>::infinity();
    }
    if (v) v->set_number_value(d);
    return absl::OkStatus();
  }
  absl::Status NonFinite(Node v, double d) {
    if (!python_json) {
      return absl::InvalidArgumentError("invalid JSON: NaN and Infinity are not JSON numbers");
    }
    if (v) v->set_number_value(d);
    return absl::OkStatus();
  }
  Node List(Node v) {
    if (v) v->mutable_list_value();
    return v;
  }
  Node Item(Node list) { return list ? list->mutable_list_value()->add_values() : nullptr; }
  Node Dict(Node v) {
    if (v) v->mutable_struct_value();
    return v;
  }
  Node Field(Node dict, std::string_view key) {
    return dict ? &(*dict->mutable_struct_value()->mutable_fields())[std::string(key)] : nullptr;
  }
};

// Any JSON value into `out`, or only checked when `out` is null; with
// `python_json`, what Python's json.dumps writes beyond strict JSON too.
absl::Status DecodeValue(od::value& value, google::protobuf::Value* out, bool python_json) {
  ProtoValueBuilder builder;
  builder.python_json = python_json;
  return WalkJson(value, builder, out);
}

// What decoding keeps besides the record: the JSON text of `args`, and of a
// `msg` that is not a string.
struct RawText {
  od::document* document;
  // The data decoded, for checking the spans taken from it.
  const char* data;
  const char* data_end;
  bool decode_args_value;
  bool python_json;
  std::string_view args;
  std::string_view msg;
};

// Decodes any JSON value (into `out`, or only checks it when `out` is null)
// and gives its JSON text: from where the value starts to where the document
// stands once it has been read, in one pass.
absl::Status DecodeWithText(od::value& value, RawText* raw, google::protobuf::Value* out,
                            std::string_view* text) {
  const char* start = value.raw_json_token().data();
  absl::Status status = DecodeValue(value, out, raw->python_json);
  if (!status.ok()) return status;
  const char* end = nullptr;
  if (auto error = raw->document->current_location().get(end)) {
    return JsonError(error);
  }
  // In a document cut short, simdjson can report a location that is not
  // after the value (found by fuzz/decoder_fuzzer): never make a span of it.
  if (end == nullptr || start < raw->data || end < start || end > raw->data_end) {
    return absl::InvalidArgumentError("invalid JSON: the text ends inside a value");
  }
  *text = TrimJsonSpace(std::string_view(start, end - start));
  return absl::OkStatus();
}

// args: kept as JSON text (Python's %-formatting needs int vs float and key
// order), and decoded into the record's Value unless the caller opted out.
absl::Status DecodeArgs(od::value& value, RawText* raw, LogRecord* r) {
  return DecodeWithText(value, raw, raw->decode_args_value ? r->mutable_args() : nullptr,
                        &raw->args);
}

// msg: a string as protobuf wants; but Python jobs may log any object
// (logger.info(some_dict)), which Python's leader shows as str(msg). Such a
// msg is kept as its JSON text, for the formatter to render.
absl::Status DecodeMsg(od::value& value, std::string_view key, RawText* raw, LogRecord* r) {
  od::json_type type;
  if (auto error = value.type().get(type)) return JsonError(error);
  if (type == od::json_type::string || type == od::json_type::null) {
    return DecodeString(value, key, r->mutable_msg());
  }
  absl::Status status = DecodeWithText(value, raw, nullptr, &raw->msg);
  if (!status.ok()) return status;
  r->set_msg(raw->msg.data(), raw->msg.size());
  return absl::OkStatus();
}

// A number field: decoded into the record through its setter (which gets
// the default, 0, when the value is refused).
template <typename T>
absl::Status DecodeNumber(od::value& value, std::string_view key, LogRecord* r,
                          void (LogRecord::*set)(T)) {
  T v = 0;
  absl::Status status;
  if constexpr (std::is_floating_point_v<T>) {
    status = DecodeDouble(value, key, &v);
  } else {
    status = DecodeInteger(value, key, &v);
  }
  (r->*set)(v);
  return status;
}

absl::Status DecodeField(Field field, std::string_view key, od::value& value, RawText* raw,
                         LogRecord* r) {
  switch (field) {
    case Field::kName:
      return DecodeString(value, key, r->mutable_name());
    case Field::kMsg:
      return DecodeMsg(value, key, raw, r);
    case Field::kArgs:
      return DecodeArgs(value, raw, r);
    case Field::kLevelname:
      return DecodeString(value, key, r->mutable_levelname());
    case Field::kLevelno:
      return DecodeNumber(value, key, r, &LogRecord::set_levelno);
    case Field::kPathname:
      return DecodeString(value, key, r->mutable_pathname());
    case Field::kFilename:
      return DecodeString(value, key, r->mutable_filename());
    case Field::kModule:
      return DecodeString(value, key, r->mutable_module());
    case Field::kLineno:
      return DecodeNumber(value, key, r, &LogRecord::set_lineno);
    case Field::kFuncName:
      return DecodeString(value, key, r->mutable_func_name());
    case Field::kCreated:
      return DecodeNumber(value, key, r, &LogRecord::set_created);
    case Field::kMsecs:
      return DecodeNumber(value, key, r, &LogRecord::set_msecs);
    case Field::kRelativeCreated:
      return DecodeNumber(value, key, r, &LogRecord::set_relative_created);
    case Field::kProcess:
      return DecodeNumber(value, key, r, &LogRecord::set_process);
    case Field::kProcessName:
      return DecodeString(value, key, r->mutable_process_name());
    case Field::kThread:
      return DecodeNumber(value, key, r, &LogRecord::set_thread);
    case Field::kThreadName:
      return DecodeString(value, key, r->mutable_thread_name());
    case Field::kExcText:
      return DecodeString(value, key, r->mutable_exc_text());
    case Field::kStackInfo:
      return DecodeString(value, key, r->mutable_stack_info());
    case Field::kHostname:
      return DecodeString(value, key, r->mutable_hostname());
    case Field::kJob:
      return DecodeString(value, key, r->mutable_job());
    case Field::kSeq:
      return DecodeNumber(value, key, r, &LogRecord::set_seq);
    case Field::kStream:
      return DecodeNumber(value, key, r, &LogRecord::set_stream);
    case Field::kUnknown:
      return DecodeValue(value, nullptr, raw->python_json);
  }
  return absl::OkStatus();
}

}  // namespace

const size_t RecordDecoder::kPadding = simdjson::SIMDJSON_PADDING;
static_assert(RecordDecoder::kMaxDepth == kMaxJsonDepth,
              "one depth limit for every JSON the leader reads");

struct RecordDecoder::Impl {
  od::parser parser;
  std::vector<char> scratch;
  std::string_view raw_args;
  std::string_view raw_msg;
};

RecordDecoder::RecordDecoder() : impl_(std::make_unique<Impl>()) {}
RecordDecoder::~RecordDecoder() = default;

absl::Status RecordDecoder::Decode(absl::string_view json, LogRecord* out) {
  std::vector<char>& scratch = impl_->scratch;
  if (scratch.size() < json.size() + kPadding) {
    scratch.resize(json.size() + kPadding);
  }
  if (!json.empty()) std::memcpy(scratch.data(), json.data(), json.size());
  // Nothing of an earlier, longer document may show through the padding.
  std::memset(scratch.data() + json.size(), 0, kPadding);
  return DecodePadded(scratch.data(), json.size(), out);
}

absl::Status RecordDecoder::DecodePadded(const char* data, size_t size, LogRecord* out) {
  out->Clear();
  impl_->raw_args = {};
  impl_->raw_msg = {};
  od::document document;
  RawText raw{&document, data, data + size, decode_args_value_, python_json_, {}, {}};
  if (auto error = impl_->parser.iterate(data, size, size + kPadding).get(document)) {
    return JsonError(error);
  }
  od::object object;
  if (auto error = document.get_object().get(object)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a JSON object: ", simdjson::error_message(error)));
  }
  for (auto field_result : object) {
    od::field field;
    if (auto error = std::move(field_result).get(field)) return JsonError(error);
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return JsonError(error);
    absl::Status status = DecodeField(LookUpField(key), key, field.value(), &raw, out);
    if (!status.ok()) return status;
  }
  impl_->raw_args = raw.args;
  impl_->raw_msg = raw.msg;
  // Only white space may follow the object.
  if (document.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return absl::InvalidArgumentError("invalid JSON: text after the object");
  }
  return absl::OkStatus();
}

absl::string_view RecordDecoder::raw_args() const { return AsAbsl(impl_->raw_args); }

absl::string_view RecordDecoder::raw_msg() const { return AsAbsl(impl_->raw_msg); }

}  // namespace toil::rtlog::internal
