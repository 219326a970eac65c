// Shell quoting; see shell_quote.h.
#include "toil/batch/shell_quote.h"

namespace toil::batch {

std::string ShellQuote(absl::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace toil::batch
