// A check the fuzz targets share: text meant for a terminal carries no raw
// control character. Allowed are printable ASCII, '\n' (a continuation line),
// '\t' (kept: it only moves the cursor forward) and valid UTF-8 outside C1
// and the bidirectional controls (U+202A-U+202E, U+2066-U+2069). Aborts,
// with the offending offset, on anything else. And: a record's line holds
// nothing that starts a line of its own; a field no newline.
#ifndef FUZZ_TERMINAL_CHECK_H_
#define FUZZ_TERMINAL_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#include "toil/rtlog/common/utf8.h"

namespace toil::rtlog::fuzz {

inline void CheckTerminalSafe(const std::string& text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  for (const auto* at = p; at < end;) {
    const unsigned char c = *at;
    size_t length = 1;
    bool bad = false;
    if (c < 0x80) {
      bad = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7F;
    } else {
      length = internal::ValidUtf8SequenceLength(at, end);
      bad = length == 0;
      if (length == 2) bad = c == 0xC2 && at[1] < 0xA0;  // C1
      if (length == 3 && c == 0xE2) {
        bad = (at[1] == 0x80 && at[2] >= 0xAA && at[2] <= 0xAE) ||
              (at[1] == 0x81 && at[2] >= 0xA6 && at[2] <= 0xA9);
      }
    }
    if (bad) {
      std::fprintf(stderr, "unsafe byte 0x%02x at offset %zu of %zu\n", c,
                   static_cast<size_t>(at - p), text.size());
      std::abort();
    }
    at += length == 0 ? 1 : length;
  }
}

// `line` is one record's line: every newline but the last starts a
// continuation ("    | ..."), so nothing from the record starts a line of
// its own. Aborts otherwise.
inline void CheckOneRecord(const std::string& line) {
  for (size_t at = line.find('\n'); at != std::string::npos && at + 1 < line.size();
       at = line.find('\n', at + 1)) {
    if (line.compare(at + 1, 6, "    | ") != 0) {
      std::fprintf(stderr, "a line of its own at offset %zu of %zu\n", at + 1, line.size());
      std::abort();
    }
  }
}

// `field` is one field of a line: no newline at all. Aborts otherwise.
inline void CheckOneLine(const std::string& field) {
  if (field.find('\n') != std::string::npos) {
    std::fprintf(stderr, "a newline in a field: %s\n", field.c_str());
    std::abort();
  }
}

}  // namespace toil::rtlog::fuzz

#endif  // FUZZ_TERMINAL_CHECK_H_
