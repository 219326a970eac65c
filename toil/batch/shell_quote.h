// Quoting text for a POSIX shell, so that the shell takes it as one word,
// exactly as it is (spaces, quotes, $, *, newlines, any bytes but NUL).
//
//   ShellQuote("it's $5")   // 'it'\''s $5'
#ifndef TOIL_BATCH_SHELL_QUOTE_H_
#define TOIL_BATCH_SHELL_QUOTE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace toil::batch {

// `text` in single quotes, each ' written as '\''.
std::string ShellQuote(absl::string_view text);

}  // namespace toil::batch

#endif  // TOIL_BATCH_SHELL_QUOTE_H_
