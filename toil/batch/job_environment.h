// The environment a batch system gives a job: what the leader's own
// environment holds, except the variables through which a leader configures
// real-time logging, then the batch system's variables (SetEnv), then the
// job's name.
//
// A job gets TOIL_RT_LOGGING_* and TOIL_JOB_NAME only from its own batch
// system, never from the shell that started the leader: after
// `eval "$(toil-rtlog serve --detach)"` that shell holds another leader's
// address, secret, control address and control token, which are not this
// run's and which no job may see.
#ifndef TOIL_BATCH_JOB_ENVIRONMENT_H_
#define TOIL_BATCH_JOB_ENVIRONMENT_H_

#include <map>
#include <string>
#include <vector>

namespace toil::batch {

// Whether `name` is one of the variables a job gets only from its batch
// system.
bool IsLeaderVariable(const std::string& name);

// This process's environment without the leader variables, with
// `batch_env` on top and TOIL_JOB_NAME=`job_name`.
std::map<std::string, std::string> JobEnvironment(
    const std::map<std::string, std::string>& batch_env, const std::string& job_name);

// "NAME=value" strings, for execve and posix_spawn.
std::vector<std::string> EnvironmentStrings(const std::map<std::string, std::string>& env);

}  // namespace toil::batch

#endif  // TOIL_BATCH_JOB_ENVIRONMENT_H_
