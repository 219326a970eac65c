// What the viewers (`tail`, `logs`) share: the flags that choose records,
// and writing to a stdout whose reader may go away (`| head`, `| grep -m1`),
// which ends a viewer quietly, as it ends `tail -f`.
#ifndef TOIL_CLI_VIEWER_OUTPUT_H_
#define TOIL_CLI_VIEWER_OUTPUT_H_

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "re2/re2.h"

ABSL_DECLARE_FLAG(bool, follow);
ABSL_DECLARE_FLAG(std::string, job);
ABSL_DECLARE_FLAG(std::string, host);
ABSL_DECLARE_FLAG(std::string, grep);
ABSL_DECLARE_FLAG(std::string, name);  // send's; for viewers a logger name to keep

namespace toil::cli {

// --format: true for text, false for jsonl; else an error naming it.
absl::StatusOr<bool> TextFormatFlag();

// --grep compiled (null when not given); else an error naming it.
absl::StatusOr<std::unique_ptr<RE2>> GrepFlag();

// Whether stdout is a pipe or socket whose reader has gone.
bool StdoutGone();

// Writes `text` to stdout whole; false when it could not.
bool WriteOut(absl::string_view text);

}  // namespace toil::cli

#endif  // TOIL_CLI_VIEWER_OUTPUT_H_
