// Appending JSON values to a string: string literals, numbers, and the
// special doubles of the protobuf JSON mapping.
//
// Strings are always written as valid UTF-8 (invalid bytes become U+FFFD), so
// that any JSON reader, Python's json.loads included, accepts the result.
#ifndef TOIL_RTLOG_WIRE_JSON_WRITER_H_
#define TOIL_RTLOG_WIRE_JSON_WRITER_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

namespace toil::rtlog::internal {

// Appends `"text"`, escaping '"', '\\' and control characters.
void AppendJsonString(absl::string_view text, std::string* out);

// The most bytes WriteJsonString can write for `size` bytes of text.
constexpr size_t JsonStringBound(size_t size) { return 2 + 6 * size; }

// Writes `"text"` at `out`, which has room for JsonStringBound(text.size())
// bytes; returns the end. The hot path of the record encoder.
char* WriteJsonString(absl::string_view text, char* out);

// Writes `bytes`, JSON already (a key, a kept fragment), at `out`; returns
// the end.
inline char* WriteJsonRaw(absl::string_view bytes, char* out) {
  std::memcpy(out, bytes.data(), bytes.size());
  return out + bytes.size();
}

// Writes a number at `out` (room for 32 bytes); returns the end.
char* WriteJsonInt(int64_t value, char* out);
char* WriteJsonUint(uint64_t value, char* out);
char* WriteJsonDouble(double value, char* out);

// Appends the shortest text that reads back as the same double. NaN and the
// infinities, which JSON has no numbers for, are written as the strings
// "NaN", "Infinity" and "-Infinity", as the protobuf JSON mapping does.
void AppendJsonDouble(double value, std::string* out);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_WIRE_JSON_WRITER_H_
