// The version the toil-rtlog tool reports (`toil-rtlog --version`): the
// release, and the versions of the interfaces other programs rely on.
#ifndef TOIL_CLI_VERSION_H_
#define TOIL_CLI_VERSION_H_

namespace toil::cli {

inline constexpr char kVersion[] =
    "toil-rtlog 0.4.0 (records: Toil's JSON datagrams, signed with HMAC-SHA256; "
    "control plane: toil.rtlog.v1.LogControl)";

}  // namespace toil::cli

#endif  // TOIL_CLI_VERSION_H_
