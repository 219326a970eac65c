// Where record copies go; see record_copies.h.
#include "toil/rtlog/job/record_copies.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <optional>

#include "toil/rtlog/base/environment.h"
#include "toil/rtlog/base/fd_write.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/base/stderr_copy.h"

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

}  // namespace

LineFormatOptions RecordCopyOptions() {
  LineFormatOptions options;
  options.show_sender = false;
  return options;
}

void AppendRecordCopy(const QueuedRecord& queued, absl::string_view text,
                      const RecordContext& context, const LineFormatOptions& options,
                      std::string* out) {
  AppendRecordLineStart(TimesOf(queued, context).created, LevelNumber(queued.level), options, out);
  AppendRecordLineEnd(SourceNamesOf(queued).file, queued.line, text, "", "", out);
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
