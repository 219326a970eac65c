// Which host a leader names in TOIL_RT_LOGGING_ADDRESS: an address the jobs
// can reach it at.
//
//   AdvertisedHost("0.0.0.0", {}, {})           // "10.0.3.7": this machine's
//                                               // first non-loopback address
//   AdvertisedHost("0.0.0.0", {}, "198.18.1.1") // the local address of the
//                                               // route toward the cluster
//   AdvertisedHost("127.0.0.1", {}, {})         // "127.0.0.1"
//   AdvertisedHost("0.0.0.0", "node7", {})      // "node7"
#ifndef TOIL_RTLOG_LEADER_ADVERTISED_HOST_H_
#define TOIL_RTLOG_LEADER_ADVERTISED_HOST_H_

#include <optional>
#include <string>

namespace toil::rtlog::internal {

// Whether `host` binds every interface ("0.0.0.0", "::" or "").
bool IsWildcardHost(const std::string& host);

// `advertise` when given; else the bound address when it is a specific one;
// else, when `toward` names a host the jobs' machines reach (a cluster's
// controller), this machine's address on the route toward it; else this
// machine's first non-loopback IPv4 address that is up (IPv6 when there is
// none, the host name as a last resort). Nothing is sent to find them.
std::string AdvertisedHost(const std::string& bind_host,
                           const std::optional<std::string>& advertise,
                           const std::optional<std::string>& toward);

// This machine's address on the route toward `host` (resolved, IPv4
// preferred), or "" when there is none.
std::string RouteSourceAddress(const std::string& host);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_ADVERTISED_HOST_H_
