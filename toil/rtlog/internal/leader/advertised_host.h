// Which host a leader names in TOIL_RT_LOGGING_ADDRESS: an address the jobs
// can reach it at.
//
//   AdvertisedHost("0.0.0.0", std::nullopt)   // "10.0.3.7": this machine's
//                                             // first non-loopback address
//   AdvertisedHost("127.0.0.1", std::nullopt) // "127.0.0.1"
//   AdvertisedHost("0.0.0.0", "node7")        // "node7"
#ifndef TOIL_RTLOG_INTERNAL_LEADER_ADVERTISED_HOST_H_
#define TOIL_RTLOG_INTERNAL_LEADER_ADVERTISED_HOST_H_

#include <optional>
#include <string>

namespace toil::rtlog::internal {

// Whether `host` binds every interface ("0.0.0.0", "::" or "").
bool IsWildcardHost(const std::string& host);

// `advertise` when given; else the bound address when it is a specific one;
// else this machine's first non-loopback IPv4 address that is up (IPv6 when
// there is none, the host name as a last resort), found without sending
// anything.
std::string AdvertisedHost(const std::string& bind_host,
                           const std::optional<std::string>& advertise);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_INTERNAL_LEADER_ADVERTISED_HOST_H_
