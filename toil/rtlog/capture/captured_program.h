// RunCaptured: runs a program with its stdout and stderr through pipes, and
// while it runs writes every byte it prints, as it came, to this process's
// own stdout and stderr (the job's log file) and sends each line (see
// output_lines.h) to the leader as a record: logger name "stdout" or
// "stderr", at the level chosen for that stream, naming the program's pid.
//
// The program keeps what is its own: its stdin, its environment (plus
// TOIL_RT_LOGGING_STDERR_COPY, so that the copies of the records it logs
// itself are written to the log file but not sent twice; and
// PYTHONUNBUFFERED=1 unless set, so that a Python program's prints are live),
// default signal handling, and this process's group: a signal to the job's
// process group reaches the program directly. This process ignores SIGINT,
// SIGTERM, SIGHUP and SIGQUIT and ends when the program does, after reading
// what the program's streams still hold (for at most `linger` after the
// last byte, as a process the program left behind may keep them open).
//
// Sending never holds the program up: records that the queue has no room
// for are dropped and counted (and the count reaches the leader).
#ifndef TOIL_RTLOG_CAPTURE_CAPTURED_PROGRAM_H_
#define TOIL_RTLOG_CAPTURE_CAPTURED_PROGRAM_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/capture/output_lines.h"

namespace toil::rtlog::capture {

struct CaptureOptions {
  Level stdout_level = Level::kInfo;
  Level stderr_level = Level::kInfo;
  absl::Duration progress_interval = OutputLines::kDefaultProgressInterval;
  absl::Duration linger = absl::Milliseconds(500);
};

// Runs `argv` (argv[0] searched in PATH) to its end; its wait status, or
// why it could not be started.
absl::StatusOr<int> RunCaptured(const std::vector<std::string>& argv,
                                const CaptureOptions& options);

}  // namespace toil::rtlog::capture

#endif  // TOIL_RTLOG_CAPTURE_CAPTURED_PROGRAM_H_
