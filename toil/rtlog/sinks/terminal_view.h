// TerminalView: what a person watching the leader's terminal is shown, when
// hundreds of jobs print the same lines and one may flood. It changes only
// the terminal: JSON lines, viewers and the counts stay complete.
//
// - Repeats fold. A record equal to one another job showed within the last
//   `repeat_window` except for words that contain digits ("took 35 ms" ~
//   "took 41 ms"), at the same level, is held back; when the window closes
//   one notice says how many times it repeated, across how many jobs and
//   hosts, at the level of the records (a repeated WARNING stays a WARNING).
//   The first is always shown at once, and so are the later lines of the
//   job that showed it: one job's own progress ("step 3 of 8", "step 4 of
//   8") is watched live, while a hundred jobs printing it show one. Unsigned records (accepted with
//   allow_unsigned) fold only with unsigned ones, and their notice says so: a forged record cannot
//   hide among, nor speak for, signed ones.
// - Each job gets a fair share. A job (by name; else by its sender) may show
//   at most `job_lines_per_second` lines a second (with a second's burst);
//   the rest are not shown, and once a second a notice says how many lines
//   from which job were not.
//
// Memory is bounded: at most `max_patterns` patterns (one per distinct
// line seen within a window) and `max_jobs` jobs; past that the oldest are
// let go (their pending notices given at once) and counted.
//
// Not thread-safe: the sink that owns it is called from one thread.
#ifndef TOIL_RTLOG_SINKS_TERMINAL_VIEW_H_
#define TOIL_RTLOG_SINKS_TERMINAL_VIEW_H_

#include <cstdint>
#include <list>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/log_record.pb.h"

namespace toil::rtlog::internal {

struct TerminalViewOptions {
  absl::Duration repeat_window = absl::Seconds(5);  // zero: show every repeat
  int job_lines_per_second = 200;                   // 0: no limit
  size_t max_patterns = 20000;
  size_t max_jobs = 10000;
  // Said after a count of hidden lines: where they can be found.
  std::string hidden_hint = "each job's own log has every line";
};

// A line the view adds: a repeat's summary or a job's hidden-lines count.
struct TerminalNotice {
  int levelno = 20;
  std::string label;    // "repeated 49x across 49 jobs on 1 host"
  std::string message;  // the last repeat's text, or the notice itself
};

class TerminalView {
 public:
  enum class Verdict { kShow, kHeld, kHidden };

  explicit TerminalView(TerminalViewOptions options) : options_(options) {}

  // What to do with a record whose text is `message`, from `sender`;
  // `unsigned_record`: it came unsigned to a leader that checks signatures.
  Verdict Admit(const LogRecord& record, absl::string_view message, absl::string_view sender,
                absl::Time now, bool unsigned_record = false);
  // Notices due by `now` (windows closed, the second's hidden counts).
  void Tick(absl::Time now, std::vector<TerminalNotice>* notices);
  // Every pending notice, whatever its time (the leader is stopping).
  void Finish(std::vector<TerminalNotice>* notices);

  uint64_t held() const { return held_; }
  uint64_t hidden() const { return hidden_; }
  uint64_t patterns_let_go() const { return patterns_let_go_; }
  uint64_t jobs_let_go() const { return jobs_let_go_; }
  size_t patterns() const { return by_key_.size(); }
  size_t jobs() const { return jobs_.size(); }

  // The key repeats share: the level, then the text with each word that
  // contains a digit replaced by one mark.
  static std::string PatternKey(int levelno, absl::string_view message);

 private:
  struct Pattern {
    std::string key;
    std::string shown_by;  // the job whose line opened the window
    absl::Time window_end;
    int levelno = 20;
    bool unsigned_records = false;
    uint64_t repeats = 0;
    std::string last_message;
    absl::flat_hash_set<std::string> jobs;
    absl::flat_hash_set<std::string> hosts;
  };
  struct Job {
    std::string name;
    double tokens = 0;
    absl::Time refilled;
    uint64_t hidden = 0;  // since the last notice
  };

  bool TakeToken(const std::string& job, absl::Time now);
  void Close(const Pattern& pattern, std::vector<TerminalNotice>* notices);
  void NoteHidden(Job& job, std::vector<TerminalNotice>* notices);
  void Repeat(Pattern& pattern, const LogRecord& record, absl::string_view message,
              absl::string_view sender);

  TerminalViewOptions options_;
  std::list<Pattern> patterns_;  // oldest window first
  absl::flat_hash_map<std::string, std::list<Pattern>::iterator> by_key_;
  std::list<Job> job_order_;  // least recently heard from first
  absl::flat_hash_map<std::string, std::list<Job>::iterator> jobs_;
  std::vector<TerminalNotice> early_;  // from patterns or jobs let go
  absl::Time next_hidden_report_ = absl::InfinitePast();
  uint64_t held_ = 0;
  uint64_t hidden_ = 0;
  uint64_t patterns_let_go_ = 0;
  uint64_t jobs_let_go_ = 0;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_SINKS_TERMINAL_VIEW_H_
