// OutputPump: reads the output of the jobs a LocalBatchSystem runs, in the
// leader's own process, on one thread for all of them, and hands it to the
// listener (output_listener.h) while one is set.
//
// A job's stdout is its log file itself, opened for appending: a program
// printing as fast as it can writes there as fast as it would without
// capture, and never waits for the leader. The pump follows the file as it
// grows (inotify says when; without it, every kReadPause). Its stderr is a
// pipe: the pump appends what it reads to the same file and remembers where,
// so that following the file hands the listener stdout's bytes only. A third
// pipe takes the copies of the records the job logs itself
// (TOIL_RT_LOGGING_STDERR_COPY, toil/rtlog/base/stderr_copy.h): they go to
// the file only, so that they are not sent twice.
//
// Reading never holds a job up for long: while output comes slowly it is
// read in batches at most kReadPause apart (a hundred jobs printing a line a
// millisecond each cost the leader a wakeup per pause, not one per line).
// After a read of kBusyReadBytes or more (stdio hands a pipe a page at a
// time when a program prints as fast as it can) the next round comes at
// once: a pause then would let a pipe fill, and the program wait.
// After a job's process has ended, its file is followed to its end and its
// pipes are read until they close, or for at most the linger after the last
// byte (a process it left behind may hold them open).
//
//   OutputPump pump;
//   OutputPump::ChildEnds ends;
//   if (pump.Open(key, log_path, &ends) != 0) ...  // an errno
//   ... spawn the job with ends.stdout_fd, stderr_fd, copy_fd, copy_description ...
//   pump.Started({key, name, pid, program});   // or pump.Abandon(key)
//   ... once the job's process is reaped: pump.ProcessEnded(key);
//   ... the job is finished when pump.Done(key).
#ifndef TOIL_BATCH_OUTPUT_PUMP_H_
#define TOIL_BATCH_OUTPUT_PUMP_H_

#include <poll.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "toil/batch/output_listener.h"

namespace toil::batch {

struct OutputPumpOptions {
  // After a job's process has ended, how long its pipes are read for, from
  // the last byte (a process it left behind may hold them open); also how
  // long its file waits for a listener without room.
  absl::Duration linger = absl::Milliseconds(500);
  // While the listener has no room, the pump leaves a job's file unread,
  // looking again every OutputPump::kHeldPause, within these bounds; past
  // them it reads on, and the listener counts what it cannot take. How far
  // the file may be ahead of what was read:
  uint64_t max_lag_bytes = 16 << 20;
  // How long the pump may stay behind the file's end, from the first time it
  // held it back.
  absl::Duration max_hold = absl::Seconds(1);
  // Whether inotify says when a file grew (else: it is looked at every
  // OutputPump::kReadPause; also when inotify cannot be had).
  bool watch_files = true;
};

class OutputPump {
 public:
  static constexpr absl::Duration kReadPause = absl::Milliseconds(5);
  static constexpr size_t kReadBytes = 64 << 10;
  static constexpr size_t kBusyReadBytes = 4 << 10;
  static constexpr absl::Duration kHeldPause = absl::Milliseconds(1);

  explicit OutputPump(OutputPumpOptions options = {});
  // Stops reading; closes what is still open.
  ~OutputPump();
  OutputPump(const OutputPump&) = delete;
  OutputPump& operator=(const OutputPump&) = delete;

  // Where bytes also go from now on (not owned; nullptr: to the files only).
  // Returns once no call to the previous listener is under way.
  void SetListener(OutputListener* listener);
  bool has_listener() const;

  // The ends a job is started with: its stdout (its log file), its stderr,
  // the copy pipe (kept open in the job as itself), and the value of
  // TOIL_RT_LOGGING_STDERR_COPY that names it.
  struct ChildEnds {
    int stdout_fd = -1;
    int stderr_fd = -1;
    int copy_fd = -1;
    std::string copy_description;
  };
  // Makes a job's pipes and opens (truncating) its log file: 0, or the
  // errno that says why it could not.
  int Open(uint64_t key, const std::string& log_path, ChildEnds* ends);
  // The job started: its ends are closed here, its pipes read from now on.
  void Started(OutputSource source);
  // The job could not be started: everything of it is closed and forgotten.
  void Abandon(uint64_t key);
  // The job's process has been reaped: what its pipes still hold is read,
  // within the linger.
  void ProcessEnded(uint64_t key);
  // Whether the job's output is all read (then it is forgotten, and the
  // listener was told); true for a key it does not know.
  bool Done(uint64_t key);
  // Rounds of reading after which it paused, in all.
  uint64_t pauses() const;
  // Times a job's file was not read on because the listener had no room.
  uint64_t holds() const;

 private:
  enum Pipe { kErr, kCopy, kPipes };
  // Bytes of the log file, [begin, end).
  struct Span {
    uint64_t begin;
    uint64_t end;
  };
  struct Job {
    OutputSource source;
    int log_fd = -1;     // the pump's end: appends what the pipes bring
    int follow_fd = -1;  // reads the file from `followed` on
    int child_stdout_fd = -1;
    int watch = -1;  // the file's inotify watch
    std::array<int, kPipes> read_fds{-1, -1};
    std::array<int, kPipes> child_fds{-1, -1};
    uint64_t followed = 0;
    // What the pump appended beyond `followed` (not stdout), in order.
    std::deque<Span> appended;
    bool follow_due = false;  // the file may have grown since it was read
    bool held = false;        // not read at the last round: the listener was full
    // Since when it has been held back and not caught up (InfiniteFuture: it
    // is not behind).
    absl::Time behind_since = absl::InfiniteFuture();
    bool started = false;
    bool process_ended = false;
    bool done = false;
    bool write_failed = false;
    absl::Time last_byte;
  };
  // A pollable read end: which job, which pipe.
  struct Watched {
    uint64_t key;
    Pipe pipe;
  };

  void Run();
  // The pollfds to wait on (the wake pipe first) and until when.
  absl::Time WatchedLocked(std::vector<pollfd>* fds, std::vector<Watched>* watched);
  // Reads what the pipe holds; the bytes read (0: nothing, or it ended).
  size_t ReadLocked(Job& job, Pipe pipe, absl::Time now);
  // Appends `bytes` to the job's file, remembering where they went.
  void AppendLocked(Job& job, absl::string_view bytes);
  // Marks the jobs whose files inotify says grew as due to be followed.
  void TakeFileEventsLocked();
  // Whether the job's file waits this round, the listener having no room.
  bool HoldLocked(Job& job, absl::Time now);
  // Reads the job's file on from where it was followed to (at most
  // kReadBytes), hands its stdout bytes to the listener; the bytes read.
  size_t FollowLocked(Job& job, absl::Time now);
  // Ends the jobs whose output is over: every pipe closed, or the linger
  // passed since the process ended and the last byte came.
  void FinishLocked(absl::Time now);
  // Makes the job's pipes and opens its file three times (the pump's
  // appending end, the job's stdout, the follower): 0 or an errno.
  int OpenEndsLocked(Job& job, const std::string& log_path);
  // Hands the listener the bytes read from offset `begin` on, but for the
  // pump's own appends.
  void HandOnLocked(Job& job, absl::string_view bytes, uint64_t begin, absl::Time now);
  // A file shorter than what was read of it was cut (`> /dev/stdout` in the
  // job): it is read again from its start.
  static void RestartIfTruncated(Job& job);
  static uint64_t FileSize(const Job& job);
  // How far the job's file is ahead of what was read of it.
  static uint64_t Unread(const Job& job);
  // Forgets the appended spans that end at or before `offset`.
  static void DropAppendedBefore(Job& job, uint64_t offset);
  void CloseAllLocked(Job& job);
  void Wake();

  const OutputPumpOptions options_;
  std::atomic<uint64_t> pauses_{0};
  std::atomic<uint64_t> holds_{0};
  mutable std::mutex mu_;
  std::map<uint64_t, Job> jobs_;
  OutputListener* listener_ = nullptr;
  absl::Time next_tick_ = absl::InfiniteFuture();
  bool stopping_ = false;
  int wake_read_ = -1;
  int wake_write_ = -1;
  int inotify_fd_ = -1;              // -1: files are followed every kReadPause
  std::map<int, uint64_t> watches_;  // inotify watch -> job
  std::thread thread_;
};

}  // namespace toil::batch

#endif  // TOIL_BATCH_OUTPUT_PUMP_H_
