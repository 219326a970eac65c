// A `toil-rtlog serve` started for a test, with what it exported: the
// environment of a job of its own and of a viewer, the tool run as a viewer,
// and its counts as `status --json` gives them.
#ifndef TESTS_SERVE_PROCESS_H_
#define TESTS_SERVE_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace toil::testing {

class Serve {
 public:
  // Starts `toil-rtlog serve --level=DEBUG` with `flags`; waits for its
  // export lines.
  explicit Serve(std::vector<std::string> flags);
  // The environment of a job of this server's.
  std::vector<EnvChange> JobEnv(const std::string& job) const;
  // The environment of a viewer: where the control plane is (and no job's).
  std::vector<EnvChange> ViewerEnv() const;
  // The tool run with `args` as a viewer.
  ProcessResult Tool(std::vector<std::string> args) const;
  // A count from `toil-rtlog status --json` ("records", ...); -1 if none.
  int64_t Count(const std::string& name) const;
  const std::map<std::string, std::string>& exports() const { return exports_; }
  pid_t pid() const { return process_->pid(); }
  ProcessResult Stop();

 private:
  std::unique_ptr<BackgroundProcess> process_;
  std::map<std::string, std::string> exports_;
};

}  // namespace toil::testing

#endif  // TESTS_SERVE_PROCESS_H_
