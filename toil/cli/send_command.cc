// `toil-rtlog send`: one record from a shell-script job, exactly as RT_LOG
// would send it (same environment, same level filter).
#include "absl/flags/flag.h"
#include "absl/strings/str_join.h"
#include "toil/cli/command.h"
#include "toil/cli/output_flags.h"
#include "toil/rtlog/level.h"
#include "toil/rtlog/log_line.h"

ABSL_FLAG(std::string, name, "toil-rt", "The logger name of the record.");

namespace toil::cli {

int RunSend(const std::vector<std::string>& args) {
  if (args.empty()) return UsageError("send", "no message given");
  absl::StatusOr<rtlog::Level> level = rtlog::ParseLevel(absl::GetFlag(FLAGS_level));
  if (!level.ok()) return UsageError("send", std::string(level.status().message()));
  rtlog::LogLine(*level, absl::StrJoin(args, " "), absl::GetFlag(FLAGS_name));
  return 0;
}

}  // namespace toil::cli
