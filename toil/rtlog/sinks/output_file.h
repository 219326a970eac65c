// Opening a file that a sink writes records to (`--output`, `--jsonl_file`,
// JsonLinesSink::Open): created or truncated, mode 0644, close-on-exec. A
// FIFO that no process reads is refused at once, saying so, rather than
// waited on for ever (opening a FIFO for writing blocks until it has a
// reader).
//
//   absl::StatusOr<int> fd = toil::rtlog::OpenOutputFile("records.txt");
#ifndef TOIL_RTLOG_SINKS_OUTPUT_FILE_H_
#define TOIL_RTLOG_SINKS_OUTPUT_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace toil::rtlog {

// The descriptor, or why `path` cannot be written: "cannot open "path" for
// writing: <reason>".
absl::StatusOr<int> OpenOutputFile(const std::string& path);

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_SINKS_OUTPUT_FILE_H_
