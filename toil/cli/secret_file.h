// A run's secret kept in a file, for `serve --secret_file`: a leader started
// again with the same file (and port) is the same run to its jobs, which
// then resend what it had not acknowledged. The file holds the secret's 64
// hex digits and must be readable by its owner only; the leader checks the
// digits when it starts.
#ifndef TOIL_CLI_SECRET_FILE_H_
#define TOIL_CLI_SECRET_FILE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace toil::cli {

// The text in `path`, trimmed; nullopt when there is no such file. Fails,
// saying what to do, when others may read it or it cannot be read.
absl::StatusOr<std::optional<std::string>> ReadSecretFile(const std::string& path);
// Writes `secret` to a new file `path`, mode 0600 (never over a file).
absl::Status WriteSecretFile(const std::string& path, const std::string& secret);

}  // namespace toil::cli

#endif  // TOIL_CLI_SECRET_FILE_H_
