// Reading the job-side configuration from the environment; see
// client_config.h.
#include "toil/rtlog/internal/job/client_config.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace toil::rtlog::internal {

ClientConfig ReadClientConfig(
    const std::function<const char*(const char*)>& getenv) {
  ClientConfig config;
  if (const char* job = getenv(kJobNameVariable)) config.job_name = job;
  if (const char* secret = getenv(kSecretVariable)) {
    config.secret = secret;
  }

  const char* level = getenv(kLevelVariable);
  if (level == nullptr) return config;  // real-time logging is off

  absl::StatusOr<Level> parsed = ParseLevel(level);
  if (!parsed.ok()) {
    // Local-only logging, as for any other malformed variable: the job's own
    // log keeps its records at the default level, and nothing is sent.
    config.threshold = Level::kInfo;
    config.warnings.push_back(absl::StrCat(
        kLevelVariable, "=\"", absl::CEscape(level), "\" is not a log level (",
        LevelChoices(), "); records at INFO and above are written to stderr "
        "only, not sent to the leader"));
    return config;
  }
  config.realtime = true;
  config.threshold = *parsed;

  const char* address = getenv(kAddressVariable);
  if (address == nullptr) return config;  // level but no leader: stderr only
  absl::StatusOr<HostPort> leader = ParseHostPort(address);
  if (!leader.ok()) {
    config.warnings.push_back(absl::StrCat(
        kAddressVariable, "=\"", absl::CEscape(address), "\" is not usable: ",
        leader.status().message(),
        "; records are written to stderr only, not sent to the leader"));
    return config;
  }
  config.leader = *std::move(leader);
  return config;
}

}  // namespace toil::rtlog::internal
