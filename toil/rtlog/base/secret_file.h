// A run's secret kept in a file: for `serve --secret_file` (a leader started
// again with the same file and port is the same run to its jobs, which then
// resend what it had not acknowledged), and for jobs handed its path in
// TOIL_RT_LOGGING_SECRET_FILE rather than the secret itself. The file holds
// the secret's 64 hex digits and must be readable by its owner only; the
// digits are checked by whoever uses them.
#ifndef TOIL_RTLOG_BASE_SECRET_FILE_H_
#define TOIL_RTLOG_BASE_SECRET_FILE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace toil::rtlog {

// The text in `path`, trimmed; nullopt when there is no such file. Fails,
// naming the path and saying what to do, when others may read it or it
// cannot be read.
absl::StatusOr<std::optional<std::string>> ReadSecretFile(const std::string& path);
// Writes `secret` to a new file `path`, mode 0600 (never over a file).
absl::Status WriteSecretFile(const std::string& path, const std::string& secret);

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_BASE_SECRET_FILE_H_
