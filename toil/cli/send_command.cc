// `toil-rtlog send`: one record from a shell-script job, exactly as RT_LOG
// would send it (same environment, same level filter).
#include "absl/flags/flag.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "toil/cli/command.h"
#include "toil/cli/output_flags.h"
#include "toil/rtlog/internal/client.h"
#include "toil/rtlog/level.h"

ABSL_FLAG(std::string, name, "toil-rt", "The logger name of the record.");

namespace toil::cli {

int RunSend(const std::vector<std::string>& args) {
  if (args.empty()) return UsageError("send", "no message given");
  absl::StatusOr<rtlog::Level> level = rtlog::ParseLevel(absl::GetFlag(FLAGS_level));
  if (!level.ok()) return UsageError("send", std::string(level.status().message()));
  if (rtlog::internal::ShouldLog(*level)) {
    rtlog::internal::Client::Instance().Log(
        *level, rtlog::internal::SourceLocation{}, absl::StrJoin(args, " "),
        absl::Now(), absl::GetFlag(FLAGS_name));
  }
  return 0;
}

}  // namespace toil::cli
