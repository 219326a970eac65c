// Python values as they arrive in JSON from Python jobs, and their Python
// renderings: str(), repr() and ascii().
//
// JSON keeps what Python's `%` needs and protobuf's Value loses: integers
// (exact, any size) apart from floats, and the order of a dict's keys.
//
//   absl::StatusOr<PyValue> args = ParsePyValue(R"([1, 2.0, "x", null])");
//   PyRepr(*args)   // "[1, 2.0, 'x', None]"
#ifndef TOIL_RTLOG_LEADER_FORMAT_PY_VALUE_H_
#define TOIL_RTLOG_LEADER_FORMAT_PY_VALUE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace toil::rtlog::internal {

struct PyValue {
  enum class Kind { kNone, kBool, kInt, kFloat, kStr, kList, kDict };
  Kind kind = Kind::kNone;
  bool boolean = false;
  // kInt: the decimal digits with an optional '-'; kStr: UTF-8 text.
  std::string text;
  double number = 0;                                  // kFloat
  std::vector<PyValue> items;                         // kList
  std::vector<std::pair<std::string, PyValue>> dict;  // kDict, in order

  // Python truthiness (logging formats only when args is truthy).
  bool Truthy() const;
};

// Parses JSON text; nesting deeper than 64 levels is refused.
absl::StatusOr<PyValue> ParsePyValue(absl::string_view json);

// From a protobuf Value (numbers that are whole become ints).
PyValue FromProtoValue(const google::protobuf::Value& value);

// Python's str(), repr() and ascii() of the value.
std::string PyStr(const PyValue& value);
std::string PyRepr(const PyValue& value);
std::string PyAscii(const PyValue& value);

// repr() of a float: the shortest text that reads back the same, laid out
// as Python does ("1e-07", "123456789.0", "inf").
std::string PyFloatRepr(double value);

// repr() of a str: quoted and escaped as Python does; `ascii` escapes every
// non-ASCII character too.
std::string PyStrRepr(absl::string_view text, bool ascii = false);

// The "type name" Python uses in error messages: "int", "str", ...
absl::string_view PyTypeName(const PyValue& value);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_FORMAT_PY_VALUE_H_
