// JSON value writing; see json_writer.h.
#include "toil/rtlog/wire/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "toil/rtlog/common/utf8.h"

namespace toil::rtlog::internal {
namespace {

// Bytes that cannot be copied as they are: controls, '"', '\\' and every
// non-ASCII byte (which is validated as UTF-8).
constexpr bool NeedsCare(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; }

struct CareTable {
  bool care[256];
  constexpr CareTable() : care() {
    for (int c = 0; c < 256; ++c) care[c] = NeedsCare(static_cast<unsigned char>(c));
  }
};
constexpr CareTable kCare;

constexpr char kHex[] = "0123456789abcdef";

// Whether any of the 8 bytes in `x` needs care (SWAR: bytes >= 0x80, bytes
// < 0x20, and bytes equal to '"' or '\\').
inline bool ChunkNeedsCare(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const uint64_t quote = x ^ (kOnes * '"');
  const uint64_t backslash = x ^ (kOnes * '\\');
  const uint64_t below_space = (x - kOnes * 0x20) & ~x;
  const uint64_t zero_quote = (quote - kOnes) & ~quote;
  const uint64_t zero_backslash = (backslash - kOnes) & ~backslash;
  return ((x | below_space | zero_quote | zero_backslash) & kHigh) != 0;
}

}  // namespace

char* WriteJsonString(absl::string_view text, char* out) {
  *out++ = '"';
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    // Copy the run of bytes that need nothing, eight at a time.
    const unsigned char* run = p;
    while (end - p >= 8) {
      uint64_t chunk;
      std::memcpy(&chunk, p, 8);
      if (ChunkNeedsCare(chunk)) break;
      p += 8;
    }
    while (p < end && !kCare.care[*p]) ++p;
    std::memcpy(out, run, p - run);
    out += p - run;
    if (p == end) break;
    const unsigned char c = *p;
    if (c >= 0x80) {
      const size_t length = ValidUtf8SequenceLength(p, end);
      if (length == 0) {
        std::memcpy(out, "\xEF\xBF\xBD", 3);  // U+FFFD for a byte that is not UTF-8
        out += 3;
        ++p;
      } else {
        std::memcpy(out, p, length);
        out += length;
        p += length;
      }
      continue;
    }
    *out++ = '\\';
    switch (c) {
      case '"':
        *out++ = '"';
        break;
      case '\\':
        *out++ = '\\';
        break;
      case '\b':
        *out++ = 'b';
        break;
      case '\f':
        *out++ = 'f';
        break;
      case '\n':
        *out++ = 'n';
        break;
      case '\r':
        *out++ = 'r';
        break;
      case '\t':
        *out++ = 't';
        break;
      default:
        *out++ = 'u';
        *out++ = '0';
        *out++ = '0';
        *out++ = kHex[c >> 4];
        *out++ = kHex[c & 15];
    }
    ++p;
  }
  *out++ = '"';
  return out;
}

char* WriteJsonInt(int64_t value, char* out) { return std::to_chars(out, out + 24, value).ptr; }

char* WriteJsonUint(uint64_t value, char* out) { return std::to_chars(out, out + 24, value).ptr; }

char* WriteJsonDouble(double value, char* out) {
  if (std::isnan(value)) {
    std::memcpy(out, "\"NaN\"", 5);
    return out + 5;
  }
  if (std::isinf(value)) {
    const absl::string_view text = value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    std::memcpy(out, text.data(), text.size());
    return out + text.size();
  }
  return std::to_chars(out, out + 32, value).ptr;
}

namespace {

// Appends through a Write* function given the most it can write.
template <typename Write>
void AppendWith(size_t bound, std::string* out, Write write) {
  const size_t old_size = out->size();
  out->resize(old_size + bound);
  char* end = write(out->data() + old_size);
  out->resize(end - out->data());
}

}  // namespace

void AppendJsonString(absl::string_view text, std::string* out) {
  AppendWith(JsonStringBound(text.size()), out, [&](char* p) { return WriteJsonString(text, p); });
}

void AppendJsonDouble(double value, std::string* out) {
  AppendWith(32, out, [&](char* p) { return WriteJsonDouble(value, p); });
}

}  // namespace toil::rtlog::internal
