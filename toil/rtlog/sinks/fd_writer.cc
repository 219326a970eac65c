// Buffered, failure-counting fd writer; see fd_writer.h.
#include "toil/rtlog/sinks/fd_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "toil/rtlog/base/fd_write.h"
#include "toil/rtlog/base/plural.h"

namespace toil::rtlog::internal {
namespace {
constexpr size_t kFlushThreshold = 256 * 1024;
}  // namespace

FdWriter::FdWriter(int fd, bool owns_fd, std::string what, bool report_failures)
    : fd_(fd), owns_fd_(owns_fd), what_(std::move(what)), report_failures_(report_failures) {}

FdWriter::~FdWriter() {
  Flush();
  if (owns_fd_ && fd_ >= 0) close(fd_);
  if (report_failures_ && lost_bytes() > 0 && fd_ != STDERR_FILENO) {
    WarnOnStderr(absl::StrCat(Counted(lost_lines(), "line", "lines"), " (", lost_bytes(),
                              " bytes) could not be written to ", what_));
  }
}

void FdWriter::MaybeFlush() {
  if (buffer_.size() >= kFlushThreshold) Flush();
}

void FdWriter::Flush() {
  if (buffer_.empty()) return;
  size_t written = 0;
  const int error = WriteFully(fd_, buffer_, &written);
  if (error != 0) {
    const absl::string_view rest = absl::string_view(buffer_).substr(written);
    lost_bytes_.fetch_add(rest.size(), std::memory_order_relaxed);
    lost_lines_.fetch_add(std::count(rest.begin(), rest.end(), '\n'), std::memory_order_relaxed);
    // Reported once, on stderr, unless stderr is what failed.
    if (report_failures_ && !reported_ && fd_ != STDERR_FILENO) {
      WriteToStderr(absl::StrCat("toil-rtlog: error: cannot write to ", what_, ": ",
                                 std::strerror(error),
                                 "; what cannot be written is counted, and the total is shown when "
                                 "the leader stops\n"));
    }
    reported_ = true;
  }
  buffer_.clear();
}

}  // namespace toil::rtlog::internal
