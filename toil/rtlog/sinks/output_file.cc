// Opening a sink's file; see output_file.h.
#include "toil/rtlog/sinks/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace toil::rtlog {

absl::StatusOr<int> OpenOutputFile(const std::string& path) {
  // Non-blocking first: a FIFO without a reader fails (ENXIO) instead of
  // blocking; the descriptor is then made blocking again.
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0644);
  if (fd < 0) {
    const std::string why = errno == ENXIO ? "it is a FIFO that no process reads (start its "
                                             "reader first)"
                                           : std::strerror(errno);
    return absl::InvalidArgumentError(
        absl::StrCat("cannot open \"", path, "\" for writing: ", why));
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

}  // namespace toil::rtlog
