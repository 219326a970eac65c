// A `toil-rtlog serve` for tests; see serve_process.h.
#include "tests/serve_process.h"

#include <signal.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace toil::testing {

Serve::Serve(std::vector<std::string> flags) {
  std::vector<std::string> argv = {testing::Tool(), "serve", "--level=DEBUG"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  process_ = std::make_unique<BackgroundProcess>(argv);
  exports_ = ParseExports(process_->ReadStdoutLines(6, absl::Seconds(30)));
}

std::vector<EnvChange> Serve::JobEnv(const std::string& job) const {
  std::vector<EnvChange> env = {{"TOIL_RT_LOGGING_ADDRESS", exports_.at("TOIL_RT_LOGGING_ADDRESS")},
                                {"TOIL_RT_LOGGING_LEVEL", "DEBUG"},
                                {"TOIL_RT_LOGGING_SECRET", std::nullopt},
                                {"TOIL_JOB_NAME", job}};
  if (exports_.count("TOIL_RT_LOGGING_SECRET")) {
    env[2].value = exports_.at("TOIL_RT_LOGGING_SECRET");
  }
  return env;
}

std::vector<EnvChange> Serve::ViewerEnv() const {
  std::vector<EnvChange> env = {{"TOIL_RT_LOGGING_CONTROL", exports_.at("TOIL_RT_LOGGING_CONTROL")},
                                {"TOIL_RT_LOGGING_CONTROL_TOKEN", std::nullopt}};
  if (exports_.count("TOIL_RT_LOGGING_CONTROL_TOKEN")) {
    env[1].value = exports_.at("TOIL_RT_LOGGING_CONTROL_TOKEN");
  }
  return env;
}

ProcessResult Serve::Tool(std::vector<std::string> args) const {
  args.insert(args.begin(), testing::Tool());
  return RunProcess(args, ViewerEnv());
}

int64_t Serve::Count(const std::string& name) const {
  const ProcessResult status = Tool({"status", "--json"});
  const std::string key = absl::StrCat("\"", name, "\":");
  const size_t at = status.out.find(key);
  if (at == std::string::npos) return -1;
  std::string digits;
  for (char c : status.out.substr(at + key.size())) {
    if (c == '"') continue;
    if (c < '0' || c > '9') break;
    digits += c;
  }
  int64_t n = -1;
  return absl::SimpleAtoi(digits, &n) ? n : -1;
}

ProcessResult Serve::Stop() { return process_->Stop(SIGTERM); }

}  // namespace toil::testing
