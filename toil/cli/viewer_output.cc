// What the viewers share; see viewer_output.h.
#include "toil/cli/viewer_output.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/flags/flag.h"

ABSL_FLAG(bool, follow, false, "Keep showing records as they arrive, until interrupted.");
ABSL_FLAG(std::string, job, "", "Only jobs whose name matches this glob (e.g. 'align-*').");
ABSL_FLAG(std::string, host, "", "Only records from this host.");
ABSL_FLAG(std::string, grep, "",
          "Only records whose message matches this regular expression "
          "(RE2 syntax).");

namespace toil::cli {

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
