// The UTF-8 helpers, all of them: validating and decoding one sequence,
// encoding a code point, counting code points, and finding a safe cut point.
//
// Used wherever text from a record is written out (JSON, the terminal,
// Python's repr), where a too-long message is cut to fit a datagram, and
// where Python's %-formatting counts characters.
#ifndef TOIL_RTLOG_COMMON_UTF8_H_
#define TOIL_RTLOG_COMMON_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace toil::rtlog::internal {

// The length (2-4) of the valid, shortest-form UTF-8 sequence that starts at
// `p` (whose first byte is >= 0x80), or 0 when the bytes there are not valid
// UTF-8 (stray continuation bytes, overlong forms, surrogates, > U+10FFFF,
// or a sequence cut short by `end`).
inline size_t ValidUtf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  const unsigned char lead = p[0];
  size_t length;
  uint32_t min;
  uint32_t code;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, min = 0x80, code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, min = 0x800, code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, min = 0x10000, code = lead & 0x07;
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - p) < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    code = (code << 6) | (p[i] & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return 0;
  }
  return length;
}

// Decodes the code point of a sequence already checked by
// ValidUtf8SequenceLength.
inline uint32_t DecodeUtf8(const unsigned char* p, size_t length) {
  uint32_t code = length == 2 ? (p[0] & 0x1F) : length == 3 ? (p[0] & 0x0F) : (p[0] & 0x07);
  for (size_t i = 1; i < length; ++i) code = (code << 6) | (p[i] & 0x3F);
  return code;
}

// The largest n <= max_bytes such that text.substr(0, n) does not end inside
// a multi-byte sequence.
inline size_t Utf8CutPoint(absl::string_view text, size_t max_bytes) {
  if (max_bytes >= text.size()) return text.size();
  size_t cut = max_bytes;
  // Step back over continuation bytes (at most 3) to a sequence start.
  for (int i = 0; i < 3 && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80; ++i) {
    --cut;
  }
  return cut;
}

// Code points in UTF-8 text (invalid bytes count one each).
inline size_t CodePointCount(absl::string_view text) {
  size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

// The first `n` code points of `text`.
inline absl::string_view FirstCodePoints(absl::string_view text, size_t n) {
  size_t i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (n == 0) break;
      --n;
    }
  }
  return text.substr(0, i);
}

// Appends the UTF-8 encoding of `code` (a surrogate, which UTF-8 cannot
// hold, becomes U+FFFD).
inline void AppendUtf8CodePoint(uint32_t code, std::string* out) {
  if (code >= 0xD800 && code <= 0xDFFF) code = 0xFFFD;
  if (code < 0x80) {
    out->push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code >> 6)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_COMMON_UTF8_H_
