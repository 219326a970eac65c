// Signal handling for the programs a batch system starts: whatever the
// leader blocks or ignores (it blocks SIGINT, SIGTERM and SIGHUP to take
// them on a thread of its own, and ignores SIGPIPE), its children start with
// nothing blocked and the default action for each.
#ifndef TOIL_BATCH_SPAWN_SIGNALS_H_
#define TOIL_BATCH_SPAWN_SIGNALS_H_

#include <signal.h>
#include <spawn.h>

namespace toil::batch {

// The signals a started program expects to end it, whatever the leader
// does with them: each gets its default action in the child.
inline constexpr int kJobEndingSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};

// Sets `attributes` (initialized by the caller) so that the spawned program
// starts with an empty signal mask and default SIGINT, SIGTERM, SIGHUP,
// SIGQUIT and SIGPIPE. Keeps the flags already set.
void SetDefaultSignals(posix_spawnattr_t* attributes);

// Adds `flags` (POSIX_SPAWN_...) to those already set in `attributes`.
void AddSpawnFlags(posix_spawnattr_t* attributes, short flags);

}  // namespace toil::batch

#endif  // TOIL_BATCH_SPAWN_SIGNALS_H_
