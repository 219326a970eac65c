// Decoding one JSON value into a field of a protobuf message's scalar type,
// with protobuf's JSON rules (JsonStringToMessage): null means the default;
// an integer field takes a number with an integral value in range or a
// decimal string; a double field takes a number, "NaN", "Infinity" or
// "-Infinity". For the record decoder, which runs them for every field of
// every datagram: defined here, inline, so that they inline into it.
//
//   int64_t lineno;
//   absl::Status s = DecodeInteger(value, "lineno", &lineno);  // errors name the key
#ifndef TOIL_RTLOG_WIRE_JSON_FIELDS_H_
#define TOIL_RTLOG_WIRE_JSON_FIELDS_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "simdjson.h"
#include "toil/rtlog/wire/json_walk.h"

namespace toil::rtlog::internal {

// Debian's Abseil has its own string_view type, distinct from std's.
inline absl::string_view AsAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

inline absl::Status FieldError(std::string_view key, std::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("field \"", AsAbsl(key), "\": expected ", AsAbsl(expected)));
}

inline absl::Status DecodeString(simdjson::ondemand::value& value, std::string_view key,
                                 std::string* out) {
  // The common case first: one call.
  std::string_view fast;
  if (value.get_string().get(fast) == simdjson::SUCCESS) {
    out->assign(fast.data(), fast.size());
    return absl::OkStatus();
  }
  simdjson::ondemand::json_type type;
  if (auto error = value.type().get(type)) return JsonError(error);
  if (type == simdjson::ondemand::json_type::null) {
    bool is_null = false;
    if (auto error = value.is_null().get(is_null); error || !is_null) {
      return FieldError(key, "a string");
    }
    out->clear();
    return absl::OkStatus();
  }
  if (type != simdjson::ondemand::json_type::string) return FieldError(key, "a string");
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
absl::Status IntegerFromNumber(simdjson::ondemand::value& value, std::string_view key, Int* out) {
  simdjson::ondemand::number_type number_type;
  if (auto error = value.get_number_type().get(number_type)) return JsonError(error);
  if (number_type == simdjson::ondemand::number_type::signed_integer) {
    int64_t v;
    if (auto error = value.get_int64().get(v)) return JsonError(error);
    if (v < static_cast<int64_t>(std::numeric_limits<Int>::min()) ||
        (std::is_signed_v<Int> && v > static_cast<int64_t>(std::numeric_limits<Int>::max()))) {
      return IntegerError<Int>(key, /*in_range=*/true);
    }
    *out = static_cast<Int>(v);
    return absl::OkStatus();
  }
  if (number_type == simdjson::ondemand::number_type::unsigned_integer) {
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
bool FastInteger(simdjson::ondemand::value& value, Int* out) {
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
absl::Status DecodeInteger(simdjson::ondemand::value& value, std::string_view key, Int* out) {
  if (FastInteger(value, out)) return absl::OkStatus();
  simdjson::ondemand::json_type type;
  if (auto error = value.type().get(type)) return JsonError(error);
  switch (type) {
    case simdjson::ondemand::json_type::null: {
      bool is_null = false;
      if (auto error = value.is_null().get(is_null); error || !is_null) {
        return IntegerError<Int>(key);
      }
      *out = 0;
      return absl::OkStatus();
    }
    case simdjson::ondemand::json_type::number:
      return IntegerFromNumber(value, key, out);
    case simdjson::ondemand::json_type::string: {
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

inline absl::Status DecodeDouble(simdjson::ondemand::value& value, std::string_view key,
                                 double* out) {
  if (value.get_double().get(*out) == simdjson::SUCCESS) return absl::OkStatus();
  simdjson::ondemand::json_type type;
  if (auto error = value.type().get(type)) return JsonError(error);
  switch (type) {
    case simdjson::ondemand::json_type::null: {
      bool is_null = false;
      if (auto error = value.is_null().get(is_null); error || !is_null) {
        return FieldError(key, "a number");
      }
      *out = 0;
      return absl::OkStatus();
    }
    case simdjson::ondemand::json_type::number:
      if (auto error = value.get_double().get(*out)) return JsonError(error);
      return absl::OkStatus();
    case simdjson::ondemand::json_type::string: {
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

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_WIRE_JSON_FIELDS_H_
