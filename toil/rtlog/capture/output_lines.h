// OutputLines: the bytes a program writes on one of its streams (stdout or
// stderr), as the lines the leader is sent.
//
// A line ends at "\n" (a "\r\n" ends it too). A carriage return inside a
// line rewrites it, as a terminal shows a progress bar: each state it
// passes through is a progress update, shown at most once per
// `progress_interval` (the latest one held back goes out when the interval
// has passed, unless the line ends first); the line's last state is sent
// as the line. Of a line longer than kMaxLineBytes the start is kept and
// marked with how long it was. Empty lines are not sent. Bytes are passed
// on as they are: the wire makes them valid UTF-8 and the leader escapes
// what a terminal would act on.
#ifndef TOIL_RTLOG_CAPTURE_OUTPUT_LINES_H_
#define TOIL_RTLOG_CAPTURE_OUTPUT_LINES_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace toil::rtlog::capture {

class OutputLines {
 public:
  // The start of a long line that is kept.
  static constexpr size_t kMaxLineBytes = 16 << 10;
  static constexpr absl::Duration kDefaultProgressInterval = absl::Seconds(1);

  // `emit(text, progress)`: a line, or (progress) a state of a line that is
  // being rewritten.
  using Emit = std::function<void(absl::string_view text, bool progress)>;
  explicit OutputLines(Emit emit, absl::Duration progress_interval = kDefaultProgressInterval);

  // What the program wrote next, read at `now`.
  void Add(absl::string_view bytes, absl::Time now);
  // Sends the progress state held back, if its time has come.
  void Tick(absl::Time now);
  // When Tick has something to do; InfiniteFuture when nothing is held.
  absl::Time next_tick() const;
  // The stream ended: its last line goes out, ended or not.
  void Finish();

  // Progress states never sent: a later one (or the line's end) came
  // within the interval.
  uint64_t progress_skipped() const { return progress_skipped_; }

 private:
  void Append(absl::string_view bytes);
  void EndLine();
  // A carriage return: the line so far is one state of it.
  void Rewrite(absl::Time now);
  void Progress(absl::Time now);
  std::string Text() const;

  Emit emit_;
  absl::Duration progress_interval_;
  std::string line_;              // the line's start (at most kMaxLineBytes)
  size_t line_bytes_ = 0;         // the line's whole length
  bool carriage_return_ = false;  // the last byte was "\r" (a "\n" may follow)
  bool rewritten_ = false;        // the line has been rewritten at least once
  bool offered_ = false;          // the line as it is now was a progress state
  bool held_ = false;             // a progress state waits for its time
  std::string held_text_;
  absl::Time last_progress_ = absl::InfinitePast();
  uint64_t progress_skipped_ = 0;
};

}  // namespace toil::rtlog::capture

#endif  // TOIL_RTLOG_CAPTURE_OUTPUT_LINES_H_
