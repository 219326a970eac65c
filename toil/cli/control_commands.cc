// `toil-rtlog level` and `toil-rtlog stop`: steering a running leader.
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "toil/cli/command.h"
#include "toil/cli/control_client.h"
#include "toil/rtlog/base/level.h"

namespace toil::cli {
namespace {

int RunLevel(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    return UsageError("level", "give exactly one level: toil-rtlog level LEVEL");
  }
  absl::StatusOr<rtlog::Level> level = rtlog::ParseLevel(args[0]);
  if (!level.ok()) return UsageError("level", std::string(level.status().message()));
  return ControlCommand("level", [&](ControlClient& client) {
    rtlog::v1::SetLevelRequest request;
    request.set_level(args[0]);
    rtlog::v1::SetLevelResponse response;
    const grpc::Status status = client.stub().SetLevel(client.Context().get(), request, &response);
    if (!status.ok()) {
      std::fprintf(stderr, "toil-rtlog level: error: %s\n", client.Explain(status).c_str());
      return 1;
    }
    std::printf("%s\n", response.message().c_str());
    return 0;
  });
}

// Whether process `pid` of this machine has ended (a zombie has).
bool ProcessEnded(int64_t pid) {
  if (kill(static_cast<pid_t>(pid), 0) != 0) return errno == ESRCH;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] == 'Z';
}

// Whether the leader's control plane no longer answers.
bool ControlGone(ControlClient& client) {
  rtlog::v1::Status ignored;
  const grpc::Status status = client.stub().GetStatus(client.Context(absl::Seconds(2)).get(),
                                                      rtlog::v1::GetStatusRequest(), &ignored);
  return status.error_code() == grpc::StatusCode::UNAVAILABLE;
}

// Whether the leader has gone within `timeout`: its process has ended, when
// it is on this machine (`pid` given), else its control plane no longer
// answers. (A pid from another pid namespace may name some other process:
// a control plane silent for 5 s counts as gone then too.)
bool WaitUntilGone(ControlClient& client, int64_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::optional<absl::Time> silent_since;
  while (absl::Now() < deadline) {
    if (pid > 0 && ProcessEnded(pid)) return true;
    if (!silent_since && ControlGone(client)) silent_since = absl::Now();
    if (silent_since && (pid <= 0 || absl::Now() - *silent_since > absl::Seconds(5))) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

int RunStop(const std::vector<std::string>& args) {
  if (!args.empty())
    return UsageError("stop", absl::StrCat("unexpected argument \"", args[0], "\""));
  return ControlCommand("stop", [](ControlClient& client) {
    // A leader on this machine (a Unix socket) is waited for until its
    // process ends: by then its summary is out.
    rtlog::v1::Status before;
    int64_t pid = 0;
    if (absl::StartsWith(client.target(), "unix:") &&
        client.stub()
            .GetStatus(client.Context().get(), rtlog::v1::GetStatusRequest(), &before)
            .ok()) {
      pid = before.pid();
    }
    rtlog::v1::StopResponse response;
    const grpc::Status status =
        client.stub().Stop(client.Context().get(), rtlog::v1::StopRequest(), &response);
    if (!status.ok()) {
      std::fprintf(stderr, "toil-rtlog stop: error: %s\n", client.Explain(status).c_str());
      return 1;
    }
    if (!WaitUntilGone(client, pid, absl::Seconds(30))) {
      std::fprintf(stderr,
                   "toil-rtlog stop: error: the server at %s accepted the stop but "
                   "still answers after 30s\n",
                   client.target().c_str());
      return 1;
    }
    std::printf("toil-rtlog stop: the server at %s has stopped\n", client.target().c_str());
    return 0;
  });
}

}  // namespace

const Command& LevelCommand() {
  static const Command* const command = [] {
    auto* c =
        new Command{"level",
                    "change the level a running leader hands to new jobs",
                    "toil-rtlog level LEVEL [--control ADDR] [--token T]\n\n"
                    "Jobs that start from now on get TOIL_RT_LOGGING_LEVEL=LEVEL (on Slurm:\n"
                    "jobs submitted from now on; `run` submits all of its jobs at once); jobs\n"
                    "already running keep theirs.",
                    {},
                    &RunLevel};
    c->flags = ClientFlagDocs();
    return c;
  }();
  return *command;
}

const Command& StopCommand() {
  static const Command* const command = [] {
    auto* c = new Command{"stop",
                          "stop a running standalone server (toil-rtlog serve)",
                          "toil-rtlog stop [--control ADDR] [--token T]\n\n"
                          "Stops a `toil-rtlog serve` as SIGINT would, and returns once it has\n"
                          "ended (its summary is then out). A workflow's leader refuses.",
                          {},
                          &RunStop};
    c->flags = ClientFlagDocs();
    return c;
  }();
  return *command;
}

}  // namespace toil::cli
