// Finding the whole lines of a chunk of output; see whole_lines.h.
#include "toil/rtlog/capture/whole_lines.h"

#include <endian.h>

#include <cstdint>
#include <cstring>

namespace toil::rtlog::capture {
namespace {

// Whether a line of `lines` (whole lines) is longer than `max`: the last
// "\n" within each stretch of max + 1 bytes is found backwards, so a chunk
// is crossed in a few steps whatever its lines.
bool HasLongerLine(absl::string_view lines, size_t max) {
  size_t start = 0;  // a line starts here
  while (lines.size() - start > max + 1) {
    const void* found = memrchr(lines.data() + start, '\n', max + 1);
    if (found == nullptr) return true;
    start = static_cast<size_t>(static_cast<const char*>(found) - lines.data()) + 1;
  }
  return false;
}

// The high bit of each byte of `word` that is a "\n", and of no other:
// without a carry between bytes, so that it is exact.
uint64_t NewlineBits(uint64_t word) {
  constexpr uint64_t kNewlines = 0x0a0a0a0a0a0a0a0aULL;
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
  const uint64_t zero_if_newline = word ^ kNewlines;
  return ~(((zero_if_newline & kLow7) + kLow7) | zero_if_newline) & ~kLow7;
}

// How many of the high bits of the bytes of `bits` (and only those) are
// set: summed by one multiplication into the top byte (a popcount
// instruction is not in the baseline x86-64 the build targets).
size_t BitsSet(uint64_t bits) {
  constexpr uint64_t kOnePerByte = 0x0101010101010101ULL;
  return static_cast<size_t>(((bits >> 7) * kOnePerByte) >> 56);
}

// Lines of `lines` (whole lines) that are not empty: the "\n" that do not
// follow another (nor open `lines`, which starts a line). On the hot path of
// a flood, so eight bytes at a time (whole_lines_test holds it to a plain
// count).
size_t CountNotEmpty(absl::string_view lines) {
  size_t count = 0;
  uint64_t after_newline = 1ULL << 63;  // as if a "\n" came before
  size_t at = 0;
  for (; at + 8 <= lines.size(); at += 8) {
    uint64_t word;
    memcpy(&word, lines.data() + at, sizeof(word));
    const uint64_t newlines = NewlineBits(le64toh(word));
    const uint64_t follows_newline = (newlines << 8) | (after_newline >> 56);
    count += BitsSet(newlines & ~follows_newline);
    after_newline = newlines & (1ULL << 63);
  }
  bool previous_newline = after_newline != 0;
  for (; at < lines.size(); ++at) {
    const bool newline = lines[at] == '\n';
    count += static_cast<size_t>(newline && !previous_newline);
    previous_newline = newline;
  }
  return count;
}

}  // namespace

std::optional<WholeLines> FindWholeLines(absl::string_view bytes, size_t max_line_bytes) {
  const size_t first = bytes.find('\n');
  const size_t last = bytes.rfind('\n');
  if (first == absl::string_view::npos || first == last) return std::nullopt;
  WholeLines whole;
  whole.head = bytes.substr(0, first + 1);
  whole.lines = bytes.substr(first + 1, last - first);
  whole.tail = bytes.substr(last + 1);
  if (memchr(whole.lines.data(), '\r', whole.lines.size()) != nullptr ||
      HasLongerLine(whole.lines, max_line_bytes)) {
    return std::nullopt;
  }
  whole.count = CountNotEmpty(whole.lines);
  return whole;
}

}  // namespace toil::rtlog::capture
