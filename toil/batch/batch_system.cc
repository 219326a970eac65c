// The environment shared by a batch system's jobs; see batch_system.h.
#include "toil/batch/batch_system.h"

namespace toil::batch {

void BatchSystem::SetEnv(const std::string& name, const std::string& value) {
  std::lock_guard<std::mutex> lock(env_mu_);
  env_[name] = value;
}

void BatchSystem::UnsetEnv(const std::string& name) {
  std::lock_guard<std::mutex> lock(env_mu_);
  env_.erase(name);
}

std::map<std::string, std::string> BatchSystem::GetEnvironment() const {
  std::lock_guard<std::mutex> lock(env_mu_);
  return env_;
}

}  // namespace toil::batch
