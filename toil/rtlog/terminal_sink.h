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

#include "toil/rtlog/log_sink.h"

namespace toil::rtlog {

enum class ColorMode { kAuto, kAlways, kNever };

class TerminalSink : public LogSink {
 public:
  // Writes to `fd` (not closed by the sink), stderr by default. kAuto: colour
  // when `fd` is a terminal and the NO_COLOR variable is not set.
  explicit TerminalSink(int fd = 2, ColorMode color = ColorMode::kAuto);
  ~TerminalSink() override;

  void Send(const LogEntry& entry) override;
  void Flush() override;

  // Bytes, and lines, that could not be written (a full disk, a closed pipe).
  uint64_t lost_bytes() const;
  uint64_t lost_lines() const override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_TERMINAL_SINK_H_
