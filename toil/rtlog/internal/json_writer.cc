// JSON value writing; see json_writer.h.
#include "toil/rtlog/internal/json_writer.h"

#include <charconv>
#include <cmath>

#include "toil/rtlog/internal/utf8.h"

namespace toil::rtlog::internal {
namespace {

// 1 for bytes that cannot be copied as they are: controls, '"', '\\' and
// every non-ASCII byte (which is validated as UTF-8).
constexpr bool NeedsCare(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

struct CareTable {
  bool care[256];
  constexpr CareTable() : care() {
    for (int c = 0; c < 256; ++c) care[c] = NeedsCare(static_cast<unsigned char>(c));
  }
};
constexpr CareTable kCare;

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

void AppendJsonString(absl::string_view text, std::string* out) {
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char* run = p;
    while (p < end && !kCare.care[*p]) ++p;
    out->append(reinterpret_cast<const char*>(run), p - run);
    if (p == end) break;
    const unsigned char c = *p;
    if (c >= 0x80) {
      const size_t length = ValidUtf8SequenceLength(p, end);
      if (length == 0) {
        out->append("\xEF\xBF\xBD");  // U+FFFD for a byte that is not UTF-8
        ++p;
      } else {
        out->append(reinterpret_cast<const char*>(p), length);
        p += length;
      }
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default: {
        const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(escaped, sizeof(escaped));
      }
    }
    ++p;
  }
  out->push_back('"');
}

void AppendJsonInt(int64_t value, std::string* out) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr - buffer);
}

void AppendJsonUint(uint64_t value, std::string* out) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr - buffer);
}

void AppendJsonDouble(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("\"NaN\"");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
    out->append(buffer, result.ptr - buffer);
  }
}

}  // namespace toil::rtlog::internal
