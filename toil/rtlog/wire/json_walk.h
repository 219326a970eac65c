// Walking one JSON value (simdjson on demand) into whatever a builder makes
// of it: the leader's one JSON reader, with one depth limit, one error form
// and one idea of white space. The record decoder builds protobuf Values (or
// only checks the value) with it; py_value.h builds Python values.
//
// A builder has a `Node` type (a pointer; the builder may give null to only
// check) and these members, each called for a part of the value at `node`:
//
//   void Null(Node);  void Bool(Node, bool);  void String(Node, std::string_view);
//   absl::Status Number(Node, simdjson::ondemand::value&);  // reads it as it needs
//   absl::Status NonFinite(Node, double);  // NaN, Infinity, -Infinity (below)
//   Node List(Node);   Node Item(Node list);      // each element, in order
//   Node Dict(Node);   Node Field(Node dict, std::string_view key);
//
//   absl::Status s = WalkJson(value, builder, root);
#ifndef TOIL_RTLOG_WIRE_JSON_WALK_H_
#define TOIL_RTLOG_WIRE_JSON_WALK_H_

#include <limits>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "simdjson.h"

namespace toil::rtlog::internal {

// Deeper nesting is refused (a hostile datagram must not exhaust the stack).
inline constexpr int kMaxJsonDepth = 64;

// "invalid JSON: <simdjson's reason>".
inline absl::Status JsonError(simdjson::error_code error) {
  return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", simdjson::error_message(error)));
}

// `text` without the JSON white space (space, tab, CR, LF) at its end.
inline std::string_view TrimJsonSpace(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' ||
                           text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

// Whether `token` is a JSON integer: an optional '-', then 0 or digits not
// starting with 0 (any number of them).
inline bool IsJsonInteger(std::string_view token) {
  if (!token.empty() && token.front() == '-') token.remove_prefix(1);
  if (token.empty() || (token.front() == '0' && token.size() > 1)) return false;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Python's json.dumps writes float('nan') and the infinities as the bare
// tokens NaN, Infinity and -Infinity, which strict JSON lacks; the walker
// hands them to the builder's NonFinite, which accepts or refuses them.
inline std::optional<double> PythonNonFinite(simdjson::ondemand::value& value) {
  const std::string_view token = TrimJsonSpace(value.raw_json_token());
  if (token == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (token == "Infinity") return std::numeric_limits<double>::infinity();
  if (token == "-Infinity") return -std::numeric_limits<double>::infinity();
  return std::nullopt;
}

// Walks `value`, which sits `depth` levels deep (1 for a top-level value).
template <typename Builder>
absl::Status WalkJson(simdjson::ondemand::value& value, Builder& builder,
                      typename Builder::Node node, int depth = 1) {
  namespace od = simdjson::ondemand;
  if (depth > kMaxJsonDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON nested deeper than ", kMaxJsonDepth, " levels"));
  }
  od::json_type type;
  if (auto error = value.type().get(type)) {
    if (const std::optional<double> special = PythonNonFinite(value)) {
      return builder.NonFinite(node, *special);
    }
    return JsonError(error);
  }
  switch (type) {
    case od::json_type::null: {
      bool is_null = false;
      if (auto error = value.is_null().get(is_null); error || !is_null) {
        return JsonError(error ? error : simdjson::INCORRECT_TYPE);
      }
      builder.Null(node);
      return absl::OkStatus();
    }
    case od::json_type::boolean: {
      bool b;
      if (auto error = value.get_bool().get(b)) return JsonError(error);
      builder.Bool(node, b);
      return absl::OkStatus();
    }
    case od::json_type::number:
      if (const std::optional<double> special = PythonNonFinite(value)) {
        return builder.NonFinite(node, *special);
      }
      return builder.Number(node, value);
    case od::json_type::string: {
      std::string_view text;
      if (auto error = value.get_string().get(text)) return JsonError(error);
      builder.String(node, text);
      return absl::OkStatus();
    }
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) return JsonError(error);
      const typename Builder::Node list = builder.List(node);
      for (auto element : array) {
        od::value item;
        if (auto error = element.get(item)) return JsonError(error);
        absl::Status status = WalkJson(item, builder, builder.Item(list), depth + 1);
        if (!status.ok()) return status;
      }
      return absl::OkStatus();
    }
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) return JsonError(error);
      const typename Builder::Node dict = builder.Dict(node);
      for (auto field_result : object) {
        od::field field;
        if (auto error = std::move(field_result).get(field)) return JsonError(error);
        std::string_view key;
        if (auto error = field.unescaped_key().get(key)) return JsonError(error);
        absl::Status status = WalkJson(field.value(), builder, builder.Field(dict, key), depth + 1);
        if (!status.ok()) return status;
      }
      return absl::OkStatus();
    }
  }
  return JsonError(simdjson::INCORRECT_TYPE);
}

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_WIRE_JSON_WALK_H_
