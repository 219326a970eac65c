// Python values from JSON and their renderings; see py_value.h.
#include "toil/rtlog/leader/format/py_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "simdjson.h"
#include "toil/rtlog/common/utf8.h"
#include "toil/rtlog/wire/json_walk.h"

namespace toil::rtlog::internal {
namespace {

namespace od = simdjson::ondemand;

struct Range {
  uint32_t first;
  uint32_t last;
};
// Code points that Python's repr() escapes (str.isprintable() is False).
constexpr Range kNotPrintable[] = {
#include "toil/rtlog/leader/format/py_printable_table.inc"
};

bool IsPrintable(uint32_t code) {
  const Range* end = std::end(kNotPrintable);
  const Range* it = std::upper_bound(std::begin(kNotPrintable), end, code,
                                     [](uint32_t c, const Range& r) { return c < r.first; });
  if (it == std::begin(kNotPrintable)) return true;
  --it;
  return !(code >= it->first && code <= it->last);
}

// Builds a PyValue from a walk (json_walk.h), keeping what Python's `%`
// needs: integers exactly, whatever their size, and the order of keys.
struct PyValueBuilder {
  using Node = PyValue*;
  void Null(Node v) { v->kind = PyValue::Kind::kNone; }
  void Bool(Node v, bool b) {
    v->kind = PyValue::Kind::kBool;
    v->boolean = b;
  }
  void String(Node v, std::string_view text) {
    v->kind = PyValue::Kind::kStr;
    v->text.assign(text.data(), text.size());
  }
  absl::Status Number(Node v, od::value& value) {
    const std::string_view token = TrimJsonSpace(value.raw_json_token());
    if (token.find_first_of(".eE") != std::string_view::npos) {
      v->kind = PyValue::Kind::kFloat;
      if (auto error = value.get_double().get(v->number)) return JsonError(error);
      return absl::OkStatus();
    }
    // An integer, kept exactly whatever its size (simdjson is not asked to
    // read it, so its grammar is checked here).
    if (!IsJsonInteger(token)) return absl::InvalidArgumentError("invalid JSON number");
    v->kind = PyValue::Kind::kInt;
    v->text.assign(token.data(), token.size());
    if (v->text == "-0") v->text = "0";
    return absl::OkStatus();
  }
  // NaN, Infinity, -Infinity: Python's json.dumps of float('nan') and the
  // infinities.
  absl::Status NonFinite(Node v, double number) {
    v->kind = PyValue::Kind::kFloat;
    v->number = number;
    return absl::OkStatus();
  }
  Node List(Node v) {
    v->kind = PyValue::Kind::kList;
    return v;
  }
  Node Item(Node list) { return &list->items.emplace_back(); }
  Node Dict(Node v) {
    v->kind = PyValue::Kind::kDict;
    return v;
  }
  // A repeated key keeps its first place and its last value, as in Python's
  // json.loads.
  Node Field(Node dict, std::string_view key) {
    for (auto& [name, value] : dict->dict) {
      if (name == key) {
        value = PyValue();
        return &value;
      }
    }
    return &dict->dict.emplace_back(std::string(key), PyValue()).second;
  }
};

void AppendRepr(const PyValue& value, bool ascii, std::string* out) {
  switch (value.kind) {
    case PyValue::Kind::kNone:
      out->append("None");
      return;
    case PyValue::Kind::kBool:
      out->append(value.boolean ? "True" : "False");
      return;
    case PyValue::Kind::kInt:
      out->append(value.text);
      return;
    case PyValue::Kind::kFloat:
      out->append(PyFloatRepr(value.number));
      return;
    case PyValue::Kind::kStr:
      out->append(PyStrRepr(value.text, ascii));
      return;
    case PyValue::Kind::kList:
      out->push_back('[');
      for (size_t i = 0; i < value.items.size(); ++i) {
        if (i > 0) out->append(", ");
        AppendRepr(value.items[i], ascii, out);
      }
      out->push_back(']');
      return;
    case PyValue::Kind::kDict:
      out->push_back('{');
      for (size_t i = 0; i < value.dict.size(); ++i) {
        if (i > 0) out->append(", ");
        out->append(PyStrRepr(value.dict[i].first, ascii));
        out->append(": ");
        AppendRepr(value.dict[i].second, ascii, out);
      }
      out->push_back('}');
      return;
  }
}

}  // namespace

bool PyValue::Truthy() const {
  switch (kind) {
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return boolean;
    case Kind::kInt:
      return text != "0";
    case Kind::kFloat:
      return number != 0;
    case Kind::kStr:
      return !text.empty();
    case Kind::kList:
      return !items.empty();
    case Kind::kDict:
      return !dict.empty();
  }
  return false;
}

absl::StatusOr<PyValue> ParsePyValue(absl::string_view json) {
  // Wrapped in a list, so that a scalar is parsed the same way as the rest;
  // simdjson wants padding after the text.
  std::string padded;
  padded.reserve(json.size() + 2 + simdjson::SIMDJSON_PADDING);
  padded.push_back('[');
  padded.append(json.data(), json.size());
  padded.push_back(']');
  const size_t size = padded.size();
  padded.resize(size + simdjson::SIMDJSON_PADDING, '\0');
  od::parser parser;
  od::document document;
  if (auto error = parser.iterate(padded.data(), size, padded.size()).get(document)) {
    return JsonError(error);
  }
  od::array array;
  if (auto error = document.get_array().get(array)) return JsonError(error);
  PyValue result;
  size_t count = 0;
  for (auto element : array) {
    od::value item;
    if (auto error = element.get(item)) return JsonError(error);
    if (++count > 1) return absl::InvalidArgumentError("more than one JSON value");
    PyValueBuilder builder;
    absl::Status status = WalkJson(item, builder, &result);
    if (!status.ok()) return status;
  }
  if (count != 1) return absl::InvalidArgumentError("no JSON value");
  if (document.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return absl::InvalidArgumentError("invalid JSON: text after the value");
  }
  return result;
}

PyValue FromProtoValue(const google::protobuf::Value& value) {
  PyValue result;
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue: {
      const double d = value.number_value();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
        result.kind = PyValue::Kind::kInt;
        result.text = absl::StrCat(static_cast<int64_t>(d));
      } else {
        result.kind = PyValue::Kind::kFloat;
        result.number = d;
      }
      break;
    }
    case google::protobuf::Value::kStringValue:
      result.kind = PyValue::Kind::kStr;
      result.text = value.string_value();
      break;
    case google::protobuf::Value::kBoolValue:
      result.kind = PyValue::Kind::kBool;
      result.boolean = value.bool_value();
      break;
    case google::protobuf::Value::kListValue:
      result.kind = PyValue::Kind::kList;
      for (const auto& item : value.list_value().values()) {
        result.items.push_back(FromProtoValue(item));
      }
      break;
    case google::protobuf::Value::kStructValue: {
      result.kind = PyValue::Kind::kDict;
      // A protobuf Struct has no order; sort for a stable rendering.
      std::vector<std::string> keys;
      for (const auto& [key, item] : value.struct_value().fields()) keys.push_back(key);
      std::sort(keys.begin(), keys.end());
      for (const std::string& key : keys) {
        result.dict.emplace_back(key, FromProtoValue(value.struct_value().fields().at(key)));
      }
      break;
    }
    default:
      break;
  }
  return result;
}

std::string PyStr(const PyValue& value) {
  if (value.kind == PyValue::Kind::kStr) return value.text;
  return PyRepr(value);
}

std::string PyRepr(const PyValue& value) {
  std::string out;
  AppendRepr(value, /*ascii=*/false, &out);
  return out;
}

std::string PyAscii(const PyValue& value) {
  std::string out;
  AppendRepr(value, /*ascii=*/true, &out);
  return out;
}

std::string PyFloatRepr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Shortest round-trip digits, e.g. "-1.2345e+02".
  char buffer[64];
  const auto result =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  absl::string_view text(buffer, result.ptr - buffer);
  std::string out;
  if (!text.empty() && text.front() == '-') {
    out.push_back('-');
    text.remove_prefix(1);
  }
  const size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+' ? 1 : 0), text.data() + text.size(),
                  exponent);
  // Python's repr: exponent notation when the decimal point would fall
  // more than 16 digits to the right, or 4 or more zeros to the left.
  const int point = exponent + 1;
  if (point > 16 || point < -3) {
    out.push_back(digits[0]);
    if (digits.size() > 1) {
      out.push_back('.');
      out.append(digits, 1, std::string::npos);
    }
    absl::StrAppendFormat(&out, "e%c%02d", exponent < 0 ? '-' : '+',
                          exponent < 0 ? -exponent : exponent);
  } else if (point <= 0) {
    out.append("0.");
    out.append(static_cast<size_t>(-point), '0');
    out.append(digits);
  } else if (point >= static_cast<int>(digits.size())) {
    out.append(digits);
    out.append(static_cast<size_t>(point) - digits.size(), '0');
    out.append(".0");
  } else {
    out.append(digits, 0, point);
    out.push_back('.');
    out.append(digits, point, std::string::npos);
  }
  return out;
}

std::string PyStrRepr(absl::string_view text, bool ascii) {
  const bool has_single = text.find('\'') != absl::string_view::npos;
  const bool has_double = text.find('"') != absl::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    uint32_t code;
    size_t length = 1;
    if (*p < 0x80) {
      code = *p;
    } else {
      length = ValidUtf8SequenceLength(p, end);
      if (length == 0) {
        absl::StrAppendFormat(&out, "\\x%02x", *p);  // not UTF-8 at all
        ++p;
        continue;
      }
      code = DecodeUtf8(p, length);
    }
    if (code == static_cast<unsigned char>(quote) || code == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(code));
    } else if (code == '\t') {
      out.append("\\t");
    } else if (code == '\n') {
      out.append("\\n");
    } else if (code == '\r') {
      out.append("\\r");
    } else if (code < 0x20 || code == 0x7F) {
      absl::StrAppendFormat(&out, "\\x%02x", code);
    } else if (code < 0x7F) {
      out.push_back(static_cast<char>(code));
    } else if (!ascii && IsPrintable(code)) {
      out.append(reinterpret_cast<const char*>(p), length);
    } else if (code <= 0xFF) {
      absl::StrAppendFormat(&out, "\\x%02x", code);
    } else if (code <= 0xFFFF) {
      absl::StrAppendFormat(&out, "\\u%04x", code);
    } else {
      absl::StrAppendFormat(&out, "\\U%08x", code);
    }
    p += length;
  }
  out.push_back(quote);
  return out;
}

absl::string_view PyTypeName(const PyValue& value) {
  switch (value.kind) {
    case PyValue::Kind::kNone:
      return "NoneType";
    case PyValue::Kind::kBool:
      return "bool";
    case PyValue::Kind::kInt:
      return "int";
    case PyValue::Kind::kFloat:
      return "float";
    case PyValue::Kind::kStr:
      return "str";
    case PyValue::Kind::kList:
      return "list";
    case PyValue::Kind::kDict:
      return "dict";
  }
  return "object";
}

}  // namespace toil::rtlog::internal
