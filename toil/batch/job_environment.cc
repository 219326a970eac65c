// A job's environment; see job_environment.h.
#include "toil/batch/job_environment.h"

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "toil/rtlog/base/environment.h"

extern char** environ;

namespace toil::batch {

bool IsLeaderVariable(const std::string& name) {
  // The overflow policy is the job's own choice, not a leader's.
  if (name == rtlog::kOverflowVariable) return false;
  return absl::StartsWith(name, rtlog::kVariablePrefix) || name == rtlog::kJobNameVariable;
}

std::map<std::string, std::string> JobEnvironment(
    const std::map<std::string, std::string>& batch_env, const std::string& job_name) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const char* equals = std::strchr(*e, '=');
    if (equals == nullptr) continue;
    std::string name(*e, equals - *e);
    if (!IsLeaderVariable(name)) env[std::move(name)] = equals + 1;
  }
  for (const auto& [name, value] : batch_env) env[name] = value;
  env[rtlog::kJobNameVariable] = job_name;
  return env;
}

std::vector<std::string> EnvironmentStrings(const std::map<std::string, std::string>& env) {
  std::vector<std::string> strings;
  strings.reserve(env.size());
  for (const auto& [name, value] : env) strings.push_back(absl::StrCat(name, "=", value));
  return strings;
}

}  // namespace toil::batch
