// The job side's configuration, read once from the environment the batch
// system hands every job (the variables are in toil/rtlog/environment.h).
// Bad values never abort the job: they produce a warning naming the variable
// and its value, and logging falls back to local-only.
#ifndef TOIL_RTLOG_JOB_CLIENT_CONFIG_H_
#define TOIL_RTLOG_JOB_CLIENT_CONFIG_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "toil/rtlog/base/environment.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/common/host_port.h"

namespace toil::rtlog::internal {

struct ClientConfig {
  // Records below this level are discarded.
  Level threshold = Level::kCritical;
  // Whether real-time logging is on at all (TOIL_RT_LOGGING_LEVEL was set).
  bool realtime = false;
  // Where to send records; unset: stderr only.
  std::optional<HostPort> leader;
  std::string job_name;
  // TOIL_RT_LOGGING_SECRET as given, else the text of the file
  // TOIL_RT_LOGGING_SECRET_FILE names ("" when neither is set).
  std::string secret;
  // TOIL_RT_LOGGING_PACKED: the largest packed datagram the leader reads (0:
  // one record per datagram).
  size_t packed_bytes = 0;
  // TOIL_RT_LOGGING_STREAM: where the leader takes stream connections
  // (used only with a usable secret); unset: datagrams.
  std::optional<HostPort> stream;
  // TOIL_RT_LOGGING_OVERFLOW: how long a log call may wait for room in a
  // full queue; zero: it does not wait (the record is dropped and counted).
  absl::Duration overflow_wait = absl::ZeroDuration();
  // Problems found, one line each, for stderr.
  std::vector<std::string> warnings;
};

// How long "wait" without a duration waits.
inline constexpr absl::Duration kDefaultOverflowWait = absl::Seconds(5);

// Reads the configuration through `getenv` (a function returning nullptr for
// an unset variable), so tests can supply their own environment.
ClientConfig ReadClientConfig(const std::function<const char*(const char*)>& getenv);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_CLIENT_CONFIG_H_
