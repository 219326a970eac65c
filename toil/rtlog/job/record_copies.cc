// Where record copies go; see record_copies.h.
#include "toil/rtlog/job/record_copies.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "toil/rtlog/base/environment.h"
#include "toil/rtlog/base/fd_write.h"

namespace toil::rtlog::internal {
namespace {

constexpr int kUnresolved = -2;
constexpr int kDiscard = -1;

std::atomic<int> g_copy_fd{kUnresolved};

int CopyFd() {
  int fd = g_copy_fd.load(std::memory_order_acquire);
  if (fd != kUnresolved) return fd;
  const std::optional<int> named = CopyDescriptor(std::getenv(kStderrCopyVariable));
  const int resolved = named.value_or(STDERR_FILENO);
  // A DiscardRecordCopies meanwhile wins.
  g_copy_fd.compare_exchange_strong(fd, resolved, std::memory_order_acq_rel);
  return g_copy_fd.load(std::memory_order_acquire);
}

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

void WriteRecordCopies(absl::string_view text) {
  const int fd = CopyFd();
  if (fd == kDiscard) return;
  if (fd == STDERR_FILENO) {
    WriteToStderr(text);
    return;
  }
  std::lock_guard<std::mutex> whole(StderrMutex());
  WriteFully(fd, text);
}

void DiscardRecordCopies() { g_copy_fd.store(kDiscard, std::memory_order_release); }

bool RecordCopiesDiscarded() { return g_copy_fd.load(std::memory_order_acquire) == kDiscard; }

}  // namespace toil::rtlog::internal
