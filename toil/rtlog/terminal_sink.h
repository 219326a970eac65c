// TerminalSink: one readable line per record, for a person watching.
//
//   19:40:01.123 INFO     [align/3 node7 pid 4242] demo_job.cc:42: aligned 1000 reads
//
// Colour by level on a TTY (unless NO_COLOR is set or TERM is "dumb");
// the time of day, or with --time the date and zone too; control characters in
// record text are always shown escaped; multi-line messages and tracebacks
// are indented under their record.
#ifndef TOIL_RTLOG_TERMINAL_SINK_H_
#define TOIL_RTLOG_TERMINAL_SINK_H_

#include <memory>

#include "toil/rtlog/log_sink.h"

namespace toil::rtlog {

enum class ColorMode { kAuto, kAlways, kNever };

// How a line shows the record's time (in the sender's clock):
//   kLocal  19:40:01.123                    time of day, this machine's zone
//   kUtc    2026-11-24T18:40:01.123Z        ISO 8601 date and time, UTC
//   kIso    2026-11-24T19:40:01.123+01:00   ISO 8601, this machine's zone
enum class TimeStyle { kLocal, kUtc, kIso };

class TerminalSink : public LogSink {
 public:
  // Writes to `fd` (not closed by the sink), stderr by default. kAuto: colour
  // when `fd` is a terminal, the NO_COLOR variable is not set and TERM is
  // not "dumb".
  explicit TerminalSink(int fd = 2, ColorMode color = ColorMode::kAuto,
                        TimeStyle time = TimeStyle::kLocal);
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
