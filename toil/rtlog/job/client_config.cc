// Reading the job-side configuration from the environment; see
// client_config.h.
#include "toil/rtlog/job/client_config.h"

#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "toil/rtlog/wire/datagram_fit.h"
#include "toil/rtlog/wire/packed_datagram.h"

namespace toil::rtlog::internal {
namespace {

// TOIL_RT_LOGGING_PACKED: a size from kMinPackedBytes to kMaxDatagramBytes,
// or 0. Anything else sends one record per datagram, which every leader reads.
void ReadPacked(const char* value, ClientConfig* config) {
  if (value == nullptr) return;
  uint64_t bytes = 0;
  if (!absl::SimpleAtoi(value, &bytes) ||
      (bytes != 0 && (bytes < kMinPackedBytes || bytes > kMaxDatagramBytes))) {
    config->warnings.push_back(absl::StrCat(
        kPackedVariable, "=\"", absl::CEscape(value), "\" is not 0 or a size from ",
        kMinPackedBytes, " to ", kMaxDatagramBytes, " bytes; records are sent one per datagram"));
    return;
  }
  config->packed_bytes = bytes;
}

}  // namespace

ClientConfig ReadClientConfig(const std::function<const char*(const char*)>& getenv) {
  ClientConfig config;
  if (const char* job = getenv(kJobNameVariable)) config.job_name = job;
  if (const char* secret = getenv(kSecretVariable)) {
    config.secret = secret;
  }

  ReadPacked(getenv(kPackedVariable), &config);

  const char* level = getenv(kLevelVariable);
  if (level == nullptr) return config;  // real-time logging is off

  absl::StatusOr<Level> parsed = ParseLevel(level);
  if (!parsed.ok()) {
    // Local-only logging, as for any other malformed variable: the job's own
    // log keeps its records at the default level, and nothing is sent.
    config.threshold = Level::kInfo;
    config.warnings.push_back(absl::StrCat(kLevelVariable, "=\"", absl::CEscape(level),
                                           "\" is not a log level (", LevelChoices(),
                                           "); records at INFO and above are written to stderr "
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
        leader.status().message(), "; records are written to stderr only, not sent to the leader"));
    return config;
  }
  config.leader = *std::move(leader);
  return config;
}

}  // namespace toil::rtlog::internal
