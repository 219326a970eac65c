// A run's secret kept in a file; see secret_file.h.
#include "toil/rtlog/base/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace toil::rtlog {
namespace {

absl::Status Failed(const std::string& path, absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat(path, ": ", what, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::optional<std::string>> ReadSecretFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return std::nullopt;
  if (fd < 0) return Failed(path, "cannot open it");
  struct stat info {};
  fstat(fd, &info);
  char buffer[256];
  const ssize_t n = read(fd, buffer, sizeof(buffer));
  close(fd);
  if ((info.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " may be read by others (mode ", absl::Hex(info.st_mode & 0777),
                     " in hex); since others may know it, remove the file "
                     "(a new secret is made and kept there, mode 600)"));
  }
  if (n < 0) return Failed(path, "cannot read it");
  return std::string(absl::StripAsciiWhitespace(absl::string_view(buffer, n)));
}

absl::Status WriteSecretFile(const std::string& path, const std::string& secret) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Failed(path, "cannot create it");
  const std::string text = secret + "\n";
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (close(fd) != 0 || !written) return Failed(path, "cannot write it");
  return absl::OkStatus();
}

}  // namespace toil::rtlog
