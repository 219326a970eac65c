// A real Slurm cluster for a test, started with scripts/slurm-cluster.sh:
// munged, slurmctld, and two slurmd compute nodes in network namespaces of
// their own (hosts node1 and node2, addresses 198.18.X.11 and .12), reached
// by the leader over a bridge (198.18.X.1). The cluster is this process's:
// SLURM_CONF is set so that Slurm's commands find it.
//
// Taken down when the object goes, and also when the test process dies any
// other way: a guardian process, in a session of its own, takes it down as
// soon as the pipe from this process closes.
//
//   std::string why;
//   std::unique_ptr<SlurmCluster> cluster = SlurmCluster::Start(&why);
//   if (!cluster) ...  // not root, no namespaces, no Slurm: `why` says so
#ifndef TESTS_SLURM_CLUSTER_H_
#define TESTS_SLURM_CLUSTER_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace toil::testing {

class SlurmCluster {
 public:
  // Starts a cluster; nullptr with `*why` when it cannot be started here.
  static std::unique_ptr<SlurmCluster> Start(std::string* why);
  ~SlurmCluster();

  // The bridge's address in the root namespace (the controller's).
  const std::string& bridge_address() const { return value("BRIDGE_ADDRESS"); }
  // "198.18.X": the cluster's /24.
  std::string subnet() const;
  // The network namespace of node K (1 or 2), and the bridge's name.
  std::string node_namespace(int k) const;
  std::string bridge() const;
  // Pids of the daemons, for the fault tests.
  pid_t controller_pid() const;
  std::vector<pid_t> node_pids() const;
  const std::string& dir() const { return dir_; }

  // Runs a command (with /usr/sbin on PATH); returns its exit code.
  static int Run(const std::string& command);

 private:
  SlurmCluster(std::string dir, std::map<std::string, std::string> env, int guard_fd);
  const std::string& value(const std::string& name) const;

  std::string dir_;
  std::map<std::string, std::string> env_;  // from DIR/cluster.env
  int guard_fd_;
};

}  // namespace toil::testing

#endif  // TESTS_SLURM_CLUSTER_H_
