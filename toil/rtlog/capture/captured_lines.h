// CapturedLines: in a leader's own process, the output of the jobs its
// local batch system runs, as records: each line a job prints (see
// output_lines.h) becomes a record (logger name "stdout" or "stderr", at
// that stream's level, naming the job, its process and this host), handed
// to `deliver`, live. The leader's local batch system reads the bytes
// (toil/batch/output_pump.h); the real-time logger connects the two.
//
// The caller's thread only splits lines and queues them (a run of plain
// whole lines is queued as one piece, found by whole_lines.h); a thread of
// its own builds the records and delivers them, so a slow sink never holds
// a job up. Lines the queue has no room for are dropped and counted: each
// job's count reaches the leader as a WARNING record of the job's (at most
// one a second while it drops, and one at its end).
//
//   CapturedLines lines({.stderr_level = Level::kWarning}, run_level, deliver);
//   lines.Output({key, "align-1", pid, "bwa"}, CapturedLines::kStdout, bytes, absl::Now());
//   ...
//   lines.Ended(source);  // its last line without a newline goes out
//   lines.Stop();         // what is queued is delivered first
#ifndef TOIL_RTLOG_CAPTURE_CAPTURED_LINES_H_
#define TOIL_RTLOG_CAPTURE_CAPTURED_LINES_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/capture/output_lines.h"

namespace toil::rtlog::capture {

struct CapturedLinesOptions {
  Level stdout_level = Level::kInfo;
  Level stderr_level = Level::kInfo;
  absl::Duration progress_interval = OutputLines::kDefaultProgressInterval;
  // Queued lines (and their bytes) waiting for the delivering thread, at
  // most.
  size_t queue_lines = 65536;
  size_t queue_bytes = 16 << 20;
};

class CapturedLines {
 public:
  enum Stream { kStdout, kStderr };
  // The job whose output it is.
  struct Source {
    uint64_t key = 0;  // unique among the jobs
    std::string job;
    int64_t pid = 0;
    std::string program;
  };
  using Deliver = std::function<void(const LogRecord&)>;

  // `run_level`: the run's level now (lines below it are not sent).
  CapturedLines(CapturedLinesOptions options, std::function<Level()> run_level, Deliver deliver);
  ~CapturedLines();  // Stop()
  CapturedLines(const CapturedLines&) = delete;
  CapturedLines& operator=(const CapturedLines&) = delete;

  // What `source` wrote next on `stream`, read at `now`.
  void Output(const Source& source, Stream stream, absl::string_view bytes, absl::Time now);
  // Whether the queue has room for half its bounds more: a caller that can
  // hold output back (a file it follows) waits while it has not.
  bool HasRoom() const;
  // `source`'s output ended: its last lines, and its count of lines not
  // sent, go out.
  void Ended(const Source& source);
  // Sends the progress states held back whose time has come; when to call
  // again (InfiniteFuture: not before more output).
  absl::Time Tick(absl::Time now);
  // Delivers what is queued, then stops the delivering thread. Idempotent;
  // no call may come after it.
  void Stop();

  // Lines dropped for want of room, in all.
  uint64_t dropped() const;

 private:
  // A line (count 1), or (whole) a run of whole lines, each ending with
  // "\n", `count` of them not empty.
  struct Line {
    std::string text;
    Level level;
    const char* logger;  // "stdout", "stderr", "toil-rt"
    int64_t time_ns;
    size_t count = 1;
    bool whole = false;
  };
  // Lines of one job, queued together.
  struct Batch {
    std::shared_ptr<const Source> source;
    std::vector<Line> lines;
  };
  // One job's streams and its count of lines not sent.
  struct Job {
    std::shared_ptr<const Source> source;
    std::unique_ptr<OutputLines> out;
    std::unique_ptr<OutputLines> err;
    Batch pending;            // lines made by the call under way
    uint64_t dropped = 0;     // in all
    uint64_t unreported = 0;  // not yet told to the leader
    absl::Time reported = absl::InfinitePast();
  };

  Job& JobOf(const Source& source);
  // Before lines are made: the run's level, and whether the queue has room
  // again.
  void Begin(absl::Time now);
  // A line of `job` at `level` for its pending batch (unless below the
  // run's level), or, while the queue is full, counted as dropped.
  void Offer(Job& job, const char* logger, Level level, absl::string_view text);
  // The whole lines in `bytes` after the one `lines` holds, when
  // FindWholeLines vouches for them: one piece for the pending batch, or,
  // while the queue is full, only counted (when `level` passes). What is
  // left for `lines` to take.
  absl::string_view TakeWholeLines(Job& job, OutputLines& lines, const char* logger, Level level,
                                   absl::string_view bytes);
  // `count` lines of `job` not sent for want of room.
  void CountDropped(Job& job, uint64_t count);
  // Queues the job's pending lines, what fits; the rest is dropped and
  // counted.
  void Queue(Job& job);
  // Queues the job's count of dropped lines as a warning, if there is one
  // and it is time (`now`), or `force`.
  void ReportDrops(Job& job, absl::Time now, bool force);
  void Run();
  // A record of `line`'s, saying `text`.
  void DeliverLine(const Source& source, const Line& line, absl::string_view text,
                   LogRecord* record) const;

  const CapturedLinesOptions options_;
  const std::function<Level()> run_level_;
  const Deliver deliver_;
  // The caller's thread only:
  std::map<uint64_t, Job> jobs_;
  absl::Time now_;         // of the call under way
  Level level_now_;        // the run's level, for the call under way
  bool shedding_ = false;  // the queue was full, and has not been taken since

  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Batch> queue_;
  size_t queued_lines_ = 0;
  size_t queued_bytes_ = 0;
  bool taken_ = false;  // the delivering thread took the queue since it was full
  bool stopping_ = false;
  std::atomic<uint64_t> dropped_{0};
  std::thread thread_;
};

}  // namespace toil::rtlog::capture

#endif  // TOIL_RTLOG_CAPTURE_CAPTURED_LINES_H_
