// Terminal-safe fields; see terminal_text.h.
#include "toil/rtlog/terminal_text.h"

#include "toil/rtlog/internal/common/line_format.h"

namespace toil::rtlog {

std::string TerminalField(absl::string_view text) {
  std::string out;
  internal::AppendTerminalField(text, &out);
  return out;
}

}  // namespace toil::rtlog
