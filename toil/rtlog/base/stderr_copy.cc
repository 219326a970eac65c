// The TOIL_RT_LOGGING_STDERR_COPY value; see stderr_copy.h.
#include "toil/rtlog/base/stderr_copy.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace toil::rtlog::internal {
namespace {

// Whether `fd` is open on the file with device `device` and inode `inode`.
bool Is(int fd, absl::string_view device, absl::string_view inode) {
  uint64_t want_device = 0;
  uint64_t want_inode = 0;
  struct stat now {};
  return absl::SimpleAtoi(device, &want_device) && absl::SimpleAtoi(inode, &want_inode) &&
         fstat(fd, &now) == 0 && now.st_dev == want_device && now.st_ino == want_inode;
}

std::string Identity(int fd) {
  struct stat now {};
  if (fstat(fd, &now) != 0) return "0:0";
  return absl::StrCat(static_cast<uint64_t>(now.st_dev), ":", static_cast<uint64_t>(now.st_ino));
}

}  // namespace

std::optional<int> CopyDescriptor(const char* value) {
  if (value == nullptr || value[0] == '\0') return std::nullopt;
  const std::vector<absl::string_view> parts = absl::StrSplit(value, ':');
  int fd = -1;
  if (parts.size() != 5 || !absl::SimpleAtoi(parts[0], &fd) || fd < 0 ||
      !Is(fd, parts[1], parts[2]) || !Is(STDERR_FILENO, parts[3], parts[4])) {
    return std::nullopt;
  }
  return fd;
}

std::string DescribeCopyDescriptor(int copy_fd, int captured_stderr_fd) {
  return absl::StrCat(copy_fd, ":", Identity(copy_fd), ":", Identity(captured_stderr_fd));
}

}  // namespace toil::rtlog::internal
