// `toil-rtlog level` and `toil-rtlog stop`: steering a running leader.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "toil/cli/command.h"
#include "toil/cli/control_client.h"
#include "toil/rtlog/level.h"

namespace toil::cli {

int RunLevel(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    return UsageError("level", "give exactly one level: toil-rtlog level LEVEL");
  }
  absl::StatusOr<rtlog::Level> level = rtlog::ParseLevel(args[0]);
  if (!level.ok()) return UsageError("level", std::string(level.status().message()));
  return ControlCommand("level", [&](ControlClient& client) {
    rtlog::v1::SetLevelRequest request;
    request.set_level(args[0]);
    rtlog::v1::SetLevelResponse response;
    const grpc::Status status =
        client.stub().SetLevel(client.Context().get(), request, &response);
    if (!status.ok()) {
      std::fprintf(stderr, "toil-rtlog level: error: %s\n", client.Explain(status).c_str());
      return 1;
    }
    std::printf("%s\n", response.message().c_str());
    return 0;
  });
}

int RunStop(const std::vector<std::string>& args) {
  if (!args.empty()) return UsageError("stop", absl::StrCat("unexpected argument \"", args[0], "\""));
  return ControlCommand("stop", [](ControlClient& client) {
    rtlog::v1::StopResponse response;
    const grpc::Status status =
        client.stub().Stop(client.Context().get(), rtlog::v1::StopRequest(), &response);
    if (!status.ok()) {
      std::fprintf(stderr, "toil-rtlog stop: error: %s\n", client.Explain(status).c_str());
      return 1;
    }
    std::printf("%s\n", response.message().c_str());
    return 0;
  });
}

}  // namespace toil::cli
