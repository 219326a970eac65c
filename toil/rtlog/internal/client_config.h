// The job side's configuration, read from the environment the batch system
// hands every job (the contract in DESIGN.md):
//
//   TOIL_RT_LOGGING_LEVEL    unset: real-time logging off, CRITICAL to stderr
//   TOIL_RT_LOGGING_ADDRESS  host:port or [v6]:port of the leader
//   TOIL_JOB_NAME            the job's name, if the batch system gives one
//   TOIL_RT_LOGGING_SECRET   the run's secret: sign every datagram with it
//                            (datagram_auth.h); checked when the client
//                            sets itself up
//
// Bad values never abort the job: they produce a warning naming the variable
// and its value, and logging falls back to local-only.
#ifndef TOIL_RTLOG_INTERNAL_CLIENT_CONFIG_H_
#define TOIL_RTLOG_INTERNAL_CLIENT_CONFIG_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "toil/rtlog/internal/host_port.h"
#include "toil/rtlog/level.h"

namespace toil::rtlog {

inline constexpr char kLevelVariable[] = "TOIL_RT_LOGGING_LEVEL";
inline constexpr char kAddressVariable[] = "TOIL_RT_LOGGING_ADDRESS";
inline constexpr char kJobNameVariable[] = "TOIL_JOB_NAME";
inline constexpr char kSecretVariable[] = "TOIL_RT_LOGGING_SECRET";

namespace internal {

struct ClientConfig {
  // Records below this level are discarded.
  Level threshold = Level::kCritical;
  // Whether real-time logging is on at all (TOIL_RT_LOGGING_LEVEL was set).
  bool realtime = false;
  // Where to send records; unset: stderr only.
  std::optional<HostPort> leader;
  std::string job_name;
  // TOIL_RT_LOGGING_SECRET as given ("" when unset).
  std::string secret;
  // Problems found, one line each, for stderr.
  std::vector<std::string> warnings;
};

// Reads the configuration through `getenv` (a function returning nullptr for
// an unset variable), so tests can supply their own environment.
ClientConfig ReadClientConfig(
    const std::function<const char*(const char*)>& getenv);

}  // namespace internal
}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_INTERNAL_CLIENT_CONFIG_H_
