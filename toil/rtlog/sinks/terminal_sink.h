// TerminalSink: one readable line per record, for a person watching.
//
//   19:40:01.123 INFO     [align/3 node7 pid 4242] demo_job.cc:42: aligned 1000 reads
//
// Colour by level on a TTY (unless NO_COLOR is set or TERM is "dumb");
// the time of day, or with --time the date and zone too; control characters in
// record text are always shown escaped; multi-line messages and tracebacks
// are indented under their record.
//
// It stays readable with hundreds of jobs: lines that repeat (equal but for
// words with digits) within `repeat_window` are folded into one line per
// window that counts them, and a job that floods is held to
// `job_lines_per_second`, with a line each second saying how many of its
// lines were not shown. This changes only what a person sees: other sinks,
// viewers and the counts stay complete.
#ifndef TOIL_RTLOG_SINKS_TERMINAL_SINK_H_
#define TOIL_RTLOG_SINKS_TERMINAL_SINK_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace toil::rtlog {

enum class ColorMode { kAuto, kAlways, kNever };

// How a line shows the record's time (in the sender's clock):
//   kLocal  19:40:01.123                    time of day, this machine's zone
//   kUtc    2026-11-24T18:40:01.123Z        ISO 8601 date and time, UTC
//   kIso    2026-11-24T19:40:01.123+01:00   ISO 8601, this machine's zone
enum class TimeStyle { kLocal, kUtc, kIso };

struct TerminalSinkOptions {
  // kAuto: colour when the fd is a terminal, the NO_COLOR variable is not
  // set and TERM is not "dumb".
  ColorMode color = ColorMode::kAuto;
  TimeStyle time = TimeStyle::kLocal;
  // Repeats within this window fold into one line; zero shows every one.
  absl::Duration repeat_window = absl::Seconds(5);
  // The most lines a second one job may show (with a second's burst); 0: no
  // limit.
  int job_lines_per_second = 200;
  // Said after a count of lines not shown: where they can be found.
  std::string hidden_hint = "each job's own log has every line";
  // Whether a failure to write is reported on stderr (once, and with the
  // totals at the end). Off: the caller reports lost_lines() itself (`tail`
  // ends quietly when its reader has gone).
  bool report_write_errors = true;
};

class TerminalSink : public LogSink {
 public:
  // Writes to `fd` (not closed by the sink), stderr by default.
  explicit TerminalSink(int fd = 2, TerminalSinkOptions options = {});
  ~TerminalSink() override;

  void Send(const LogEntry& entry) override;
  void Flush() override;

  // Bytes, and lines, that could not be written (a full disk, a closed pipe).
  uint64_t lost_bytes() const;
  // Records folded into a repeat line, and records held back from a job
  // over its share.
  uint64_t folded() const;
  uint64_t not_shown() const;
  uint64_t lost_lines() const override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_SINKS_TERMINAL_SINK_H_
