// Default signals for spawned programs; see spawn_signals.h.
#include "toil/batch/spawn_signals.h"

namespace toil::batch {

void SetDefaultSignals(posix_spawnattr_t* attributes) {
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signal_number : kJobEndingSignals) sigaddset(&defaults, signal_number);
  sigset_t unblocked;
  sigemptyset(&unblocked);
  posix_spawnattr_setsigdefault(attributes, &defaults);
  posix_spawnattr_setsigmask(attributes, &unblocked);
  AddSpawnFlags(attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
}

void AddSpawnFlags(posix_spawnattr_t* attributes, short flags) {
  short set = 0;
  posix_spawnattr_getflags(attributes, &set);
  posix_spawnattr_setflags(attributes, static_cast<short>(set | flags));
}

}  // namespace toil::batch
