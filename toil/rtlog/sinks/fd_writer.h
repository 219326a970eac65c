// A buffered writer to a file descriptor for the sinks: text is collected and
// written in one write(2) per flush. A write that fails (a full disk, a
// closed pipe) loses that output, is counted, and is reported on stderr
// twice at most: at the first failure, and with the totals when the writer
// is destroyed. It never stops the leader (a closed pipe raises no SIGPIPE);
// writing resumes when it can.
#ifndef TOIL_RTLOG_SINKS_FD_WRITER_H_
#define TOIL_RTLOG_SINKS_FD_WRITER_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace toil::rtlog::internal {

class FdWriter {
 public:
  // Writes to `fd`, closing it at destruction when `owns_fd`. `what` names
  // the destination in the failure report ("the JSON-lines file x.jsonl");
  // with `report_failures` false there is no report (the owner reports
  // what lost_lines() says).
  FdWriter(int fd, bool owns_fd, std::string what, bool report_failures = true);
  ~FdWriter();
  FdWriter(const FdWriter&) = delete;
  FdWriter& operator=(const FdWriter&) = delete;

  // The buffer to append to; Flush() writes it out.
  std::string& buffer() { return buffer_; }
  // Flushes when the buffer has grown past a threshold.
  void MaybeFlush();
  void Flush();

  int fd() const { return fd_; }
  // Bytes, and lines, that could not be written.
  // (Read from any thread: the leader's control plane reports them.)
  uint64_t lost_bytes() const { return lost_bytes_.load(std::memory_order_relaxed); }
  uint64_t lost_lines() const { return lost_lines_.load(std::memory_order_relaxed); }

 private:
  int fd_;
  bool owns_fd_;
  std::string what_;
  std::string buffer_;
  std::atomic<uint64_t> lost_bytes_{0};
  std::atomic<uint64_t> lost_lines_{0};
  bool reported_ = false;
  bool report_failures_;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_SINKS_FD_WRITER_H_
