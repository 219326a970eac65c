// TerminalSink: one readable line per record, for a person watching.
//
//   19:40:01.123 INFO     [align/3 node7 pid 4242] demo_job.cc:42: aligned 1000 reads
//
// Colour by level on a TTY (unless NO_COLOR is set); control characters in
// record text are always shown escaped; multi-line messages and tracebacks
// are indented under their record.
#ifndef TOIL_RTLOG_TERMINAL_SINK_H_
#define TOIL_RTLOG_TERMINAL_SINK_H_

#include <memory>

#include "toil/rtlog/internal/fd_writer.h"
#include "toil/rtlog/internal/line_format.h"
#include "toil/rtlog/log_sink.h"

namespace toil::rtlog {

enum class ColorMode { kAuto, kAlways, kNever };

class TerminalSink : public LogSink {
 public:
  // Writes to `fd` (not closed by the sink), stderr by default. kAuto: colour
  // when `fd` is a terminal and the NO_COLOR variable is not set.
  explicit TerminalSink(int fd = 2, ColorMode color = ColorMode::kAuto);

  void Send(const LogEntry& entry) override;
  void Flush() override;

  uint64_t lost_bytes() const { return writer_.lost_bytes(); }

 private:
  internal::FdWriter writer_;
  internal::LineFormatOptions options_;
};

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_TERMINAL_SINK_H_
