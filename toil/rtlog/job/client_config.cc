// Reading the job-side configuration from the environment; see
// client_config.h.
#include "toil/rtlog/job/client_config.h"

#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "toil/rtlog/base/secret_file.h"
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

// TOIL_RT_LOGGING_OVERFLOW: "drop", "wait" or "wait:DURATION".
void ReadOverflow(const char* value, ClientConfig* config) {
  if (value == nullptr || absl::string_view(value) == "drop") return;
  const absl::string_view text(value);
  if (text == "wait") {
    config->overflow_wait = kDefaultOverflowWait;
    return;
  }
  absl::Duration wait;
  if (absl::StartsWith(text, "wait:") && absl::ParseDuration(text.substr(5), &wait) &&
      wait > absl::ZeroDuration()) {
    config->overflow_wait = wait;
    return;
  }
  config->warnings.push_back(absl::StrCat(
      kOverflowVariable, "=\"", absl::CEscape(value),
      "\" is not \"drop\", \"wait\" or \"wait:DURATION\" (such as wait:30s); a full log queue "
      "drops records (each written to stderr, and counted)"));
}

// TOIL_RT_LOGGING_STREAM: host:port.
void ReadStream(const char* value, ClientConfig* config) {
  if (value == nullptr) return;
  absl::StatusOr<HostPort> stream = ParseHostPort(value);
  if (!stream.ok()) {
    config->warnings.push_back(absl::StrCat(kStreamVariable, "=\"", absl::CEscape(value),
                                            "\" is not usable: ", stream.status().message(),
                                            "; records are sent as datagrams"));
    return;
  }
  config->stream = *std::move(stream);
}

// TOIL_RT_LOGGING_SECRET, else the file TOIL_RT_LOGGING_SECRET_FILE names
// (so that the secret itself is on no command line a batch system builds).
void ReadSecret(const char* secret, const char* secret_file, ClientConfig* config) {
  if (secret != nullptr) {
    config->secret = secret;
    return;
  }
  if (secret_file == nullptr) return;
  absl::StatusOr<std::optional<std::string>> read = ReadSecretFile(secret_file);
  if (read.ok() && read->has_value()) {
    config->secret = **read;
    return;
  }
  config->warnings.push_back(absl::StrCat(
      kSecretFileVariable, ": ",
      read.ok() ? absl::StrCat(secret_file, ": no such file") : read.status().message(),
      "; records are sent unsigned, and a leader that requires signatures refuses them"));
}

}  // namespace

ClientConfig ReadClientConfig(const std::function<const char*(const char*)>& getenv) {
  ClientConfig config;
  if (const char* job = getenv(kJobNameVariable)) config.job_name = job;
  ReadSecret(getenv(kSecretVariable), getenv(kSecretFileVariable), &config);

  ReadPacked(getenv(kPackedVariable), &config);
  ReadOverflow(getenv(kOverflowVariable), &config);

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
  ReadStream(getenv(kStreamVariable), &config);
  return config;
}

}  // namespace toil::rtlog::internal
