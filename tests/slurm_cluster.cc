// A test's own Slurm cluster; see slurm_cluster.h.
#include "tests/slurm_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/test_util.h"

extern char** environ;

namespace toil::testing {
namespace {

std::string Script() { return Runfile("scripts/slurm-cluster.sh"); }

// NAME="value" lines.
std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> values;
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
    const size_t equals = line.find('=');
    if (equals == absl::string_view::npos) continue;
    absl::string_view value = line.substr(equals + 1);
    absl::ConsumePrefix(&value, "\"");
    absl::ConsumeSuffix(&value, "\"");
    values[std::string(line.substr(0, equals))] = std::string(absl::StripAsciiWhitespace(value));
  }
  return values;
}

// A process in a session of its own that runs `down` for `dir` once the
// returned pipe's write end closes: when this process ends, however it ends.
// It runs the script's copy in `dir` (`up` leaves one there): the test's
// runfiles may be gone by then.
int StartGuardian(const std::string& dir) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  const std::string command =
      absl::StrCat("read _; [ -f '", dir, "/slurm-cluster.sh' ] && exec bash '", dir,
                   "/slurm-cluster.sh' down --dir '", dir, "' >/dev/null 2>&1");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid;
  const int error =
      posix_spawn(&pid, "/bin/sh", &actions, &attributes, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(fds[0]);
  if (error != 0) {
    close(fds[1]);
    return -1;
  }
  return fds[1];  // close-on-exec: no child of this process keeps it open
}

}  // namespace

int SlurmCluster::Run(const std::string& command) {
  const std::string line = absl::StrCat("PATH=\"$PATH:/usr/sbin:/sbin\"; ", command);
  const int status = std::system(line.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::unique_ptr<SlurmCluster> SlurmCluster::Start(std::string* why) {
  if (geteuid() != 0) {
    *why = "starting a Slurm cluster needs root (munged, slurmctld, network namespaces)";
    return nullptr;
  }
  for (const char* program : {"slurmctld", "slurmd", "munged", "sbatch", "ip"}) {
    if (Run(absl::StrCat("command -v ", program, " >/dev/null")) != 0) {
      *why = absl::StrCat(program, " is not installed (scripts/install-deps.sh installs it)");
      return nullptr;
    }
  }
  // Short: munged's socket path must fit in a sockaddr_un.
  char dir[] = "/tmp/trs-XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    *why = "cannot create a directory under /tmp";
    return nullptr;
  }
  rmdir(dir);  // the script makes it, and refuses one that has a cluster
  const int guard = StartGuardian(dir);
  // On a busy machine, and more so under a sanitizer, a node answers slowly:
  // a long silence before Slurm declares it down keeps a slow node from
  // being taken for a failed one. (5 s was seen to fail jobs with NODE_FAIL
  // on a plain build with both cores overloaded.)
  const std::string timeout = absl::StrCat(absl::ToInt64Seconds(Scaled(absl::Seconds(15))));
  const ProcessResult up = RunProcess(
      {Script(), "up", "--dir", dir, "--nodes", "2", "--timeout", timeout}, {}, absl::Seconds(120));
  if (up.exit_code != 0) {
    if (guard >= 0) close(guard);
    *why = absl::StrCat("scripts/slurm-cluster.sh up failed (exit ", up.exit_code, "): ", up.err);
    return nullptr;
  }
  std::map<std::string, std::string> env = ReadEnvFile(absl::StrCat(dir, "/cluster.env"));
  setenv("SLURM_CONF", env["SLURM_CONF"].c_str(), 1);
  return std::unique_ptr<SlurmCluster>(new SlurmCluster(dir, std::move(env), guard));
}

SlurmCluster::SlurmCluster(std::string dir, std::map<std::string, std::string> env, int guard_fd)
    : dir_(std::move(dir)), env_(std::move(env)), guard_fd_(guard_fd) {}

SlurmCluster::~SlurmCluster() {
  RunProcess({Script(), "down", "--dir", dir_}, {}, absl::Seconds(120));
  if (guard_fd_ >= 0) close(guard_fd_);  // the guardian finds nothing left
}

const std::string& SlurmCluster::value(const std::string& name) const {
  static const std::string* const empty = new std::string();
  const auto it = env_.find(name);
  return it == env_.end() ? *empty : it->second;
}

std::string SlurmCluster::subnet() const {
  const std::string& address = bridge_address();
  return address.substr(0, address.rfind('.'));
}

std::string SlurmCluster::bridge() const {
  return std::vector<std::string>(absl::StrSplit(value("LINKS"), ' ', absl::SkipEmpty())).front();
}

std::string SlurmCluster::node_namespace(int k) const {
  const std::vector<std::string> names =
      absl::StrSplit(value("NAMESPACES"), ' ', absl::SkipEmpty());
  return k >= 1 && k <= static_cast<int>(names.size()) ? names[k - 1] : "";
}

pid_t SlurmCluster::controller_pid() const {
  int pid = 0;
  return absl::SimpleAtoi(value("SLURMCTLD_PID"), &pid) ? pid : -1;
}

std::vector<pid_t> SlurmCluster::node_pids() const {
  std::vector<pid_t> pids;
  for (absl::string_view word : absl::StrSplit(value("SLURMD_PIDS"), ' ', absl::SkipEmpty())) {
    int pid = 0;
    if (absl::SimpleAtoi(word, &pid)) pids.push_back(pid);
  }
  return pids;
}

}  // namespace toil::testing
