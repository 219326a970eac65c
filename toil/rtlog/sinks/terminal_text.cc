// Terminal-safe text; see terminal_text.h.
#include "toil/rtlog/sinks/terminal_text.h"

#include "absl/strings/str_cat.h"
#include "toil/rtlog/common/line_format.h"
#include "toil/rtlog/common/utf8.h"

namespace toil::rtlog {

std::string TerminalField(absl::string_view text) {
  std::string out;
  internal::AppendTerminalField(text, &out);
  return out;
}

std::string TerminalText(absl::string_view text, absl::string_view indent) {
  std::string out;
  internal::AppendTerminalSafe(text, indent, &out);
  return out;
}

size_t TerminalWidth(absl::string_view text) { return internal::CodePointCount(text); }

std::string TerminalCut(absl::string_view text, size_t width) {
  if (width == 0 || internal::CodePointCount(text) <= width) return std::string(text);
  return absl::StrCat(internal::FirstCodePoints(text, width - 1), "\u2026");
}

}  // namespace toil::rtlog
