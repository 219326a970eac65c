// What the viewers share; see viewer_output.h.
#include "toil/cli/viewer_output.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "toil/cli/output_flags.h"

ABSL_FLAG(bool, follow, false, "Keep showing records as they arrive, until interrupted.");
ABSL_FLAG(std::string, job, "", "Only jobs whose name matches this glob (e.g. 'align-*').");
ABSL_FLAG(std::string, host, "", "Only records from this host.");
ABSL_FLAG(std::string, grep, "",
          "Only records whose message matches this regular expression "
          "(RE2 syntax).");

namespace toil::cli {

absl::StatusOr<bool> TextFormatFlag() {
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "text" && format != "jsonl") {
    return absl::InvalidArgumentError(
        absl::StrCat("--format=", format, " is not a format; use text or jsonl"));
  }
  return format == "text";
}

absl::StatusOr<std::unique_ptr<RE2>> GrepFlag() {
  const std::string grep = absl::GetFlag(FLAGS_grep);
  if (grep.empty()) return nullptr;
  RE2::Options options;
  options.set_log_errors(false);
  auto pattern = std::make_unique<RE2>(grep, options);
  if (!pattern->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--grep=", grep, " is not a regular expression: ", pattern->error()));
  }
  return pattern;
}

bool StdoutGone() {
  struct stat info;
  if (fstat(STDOUT_FILENO, &info) != 0 || !(S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode))) {
    return false;
  }
  pollfd out = {STDOUT_FILENO, 0, 0};
  return poll(&out, 1, 0) == 1 && (out.revents & (POLLERR | POLLHUP)) != 0;
}

bool WriteOut(absl::string_view text) {
  while (!text.empty()) {
    const ssize_t n = write(STDOUT_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace toil::cli
