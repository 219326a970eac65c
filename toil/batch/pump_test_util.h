// For OutputPump's tests: a listener that records what it is handed, and a
// program started with its stdout and stderr on a pump's ends.
#ifndef TOIL_BATCH_PUMP_TEST_UTIL_H_
#define TOIL_BATCH_PUMP_TEST_UTIL_H_

#include <sys/types.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "toil/batch/output_listener.h"
#include "toil/batch/output_pump.h"

namespace toil::testing {

using batch::OutputListener;
using batch::OutputPump;
using batch::OutputSource;
using batch::OutputStream;

// What it was handed, by job name; it has room while `room` says so.
class RecordingListener : public OutputListener {
 public:
  struct Job {
    std::string out;
    std::string err;
    OutputSource source;
    int ended = 0;
  };
  void Output(const OutputSource& source, OutputStream stream, absl::string_view bytes,
              absl::Time now) override;
  void Ended(const OutputSource& source) override;
  absl::Time Tick(absl::Time) override { return absl::InfiniteFuture(); }
  bool HasRoom() override { return room.load(); }
  Job Of(const std::string& name) const;

  std::atomic<bool> room{true};

 private:
  mutable std::mutex mu_;
  std::map<std::string, Job> jobs_;
};

// Starts `argv` (searched in PATH) with its stdout and stderr on ends the
// pump opened for `key` and `log_path`, and tells the pump it started (the
// job's name and program: argv[0]). The process, or -1 (a test failure
// says why).
pid_t SpawnUnderPump(OutputPump& pump, uint64_t key, const std::string& log_path,
                     std::vector<std::string> argv);

// Waits for `pid` to end, at most 30 s; its wait status, or -1.
int WaitForExit(pid_t pid);

// SpawnUnderPump, then waits for the program to exit with status 0 and
// tells the pump its process ended.
::testing::AssertionResult EndUnderPump(OutputPump& pump, uint64_t key, const std::string& log_path,
                                        std::vector<std::string> argv);

// EndUnderPump, then waits (at most 30 s) until the pump has read all the
// program printed.
::testing::AssertionResult RunUnderPump(OutputPump& pump, uint64_t key, const std::string& log_path,
                                        std::vector<std::string> argv);

}  // namespace toil::testing

#endif  // TOIL_BATCH_PUMP_TEST_UTIL_H_
