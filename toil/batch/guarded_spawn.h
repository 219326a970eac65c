// Starting a local job's process so that its process group is guarded
// (ProcessGroupGuard) before the job's program runs its first instruction.
//
// posix_spawn runs nothing of ours in the child, so with it the leader can
// add the job's group to the guard only once posix_spawn has returned, and a
// leader killed in between (SIGKILL, under load) leaves the job running
// unguarded. Here the child, before it executes the job's program, leads a
// process group of its own, adds that group to the guardian itself, sets up
// its descriptors and resets its signals.
//
// The child is made as posix_spawn makes it (vfork): it shares the leader's
// memory, and the starting thread waits until the child has executed the
// program (or failed to). So the child calls only async-signal-safe
// functions, runs with every signal blocked until it has reset the leader's
// handlers, and writes no memory of the leader's but its own stack frames.
//
//   JobProcess process;
//   process.argv = {"/bin/sh", "-c", "make"};
//   process.env = {"PATH=/usr/bin:/bin"};
//   process.files = {ChildFile::Open(STDIN_FILENO, "/dev/null", O_RDONLY)};
//   pid_t pid;
//   if (const int error = StartGuardedProcess(process, guard, &pid); error != 0) ...
#ifndef TOIL_BATCH_GUARDED_SPAWN_H_
#define TOIL_BATCH_GUARDED_SPAWN_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "toil/batch/process_group_guard.h"

namespace toil::batch {

// One descriptor of the child, set up in the child before its program runs.
struct ChildFile {
  // `path` opened with `flags` (and `mode`, when created) as descriptor `fd`.
  static ChildFile Open(int fd, std::string path, int flags, mode_t mode = 0644);
  // The leader's descriptor `from` as descriptor `fd`, open across exec
  // (`from` == `fd`: the same descriptor, kept open across exec).
  static ChildFile Copy(int from, int fd);

  int fd = -1;
  std::string path;  // empty for a copy
  int flags = 0;
  mode_t mode = 0;
  int from = -1;
};

struct JobProcess {
  std::vector<std::string> argv;  // argv[0] found as posix_spawnp finds it
  std::vector<std::string> env;   // "NAME=value" each
  std::vector<ChildFile> files;   // in this order; the rest as the leader has them
};

// Starts `process`: leading a process group of its own, guarded by `guard`
// from before its program runs, with no signal blocked and the default
// action for SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE and every signal the
// leader handles (one the leader ignores stays ignored, as across any exec).
// 0 and its pid in `*pid`; or the errno that says why it could not start
// (its command not found, a file not opened, exec refused), its process
// already reaped.
int StartGuardedProcess(const JobProcess& process, ProcessGroupGuard& guard, pid_t* pid);

}  // namespace toil::batch

#endif  // TOIL_BATCH_GUARDED_SPAWN_H_
