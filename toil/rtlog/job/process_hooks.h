// The job process's hooks that let no queued record be lost at its end:
//   - at exit (a return from main, exit()): `on_exit` runs (atexit);
//   - on a signal that ends the process (SIGTERM, SIGINT, SIGHUP, SIGQUIT,
//     SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL): `on_signal` runs, and then
//     the signal takes its course: the handler the application had installed
//     is called, an ignored signal stays ignored, and a default one ends the
//     process as it would have (re-raised with the default action).
// A signal ignored when the hooks are installed (nohup, a shell's
// background job) is left alone. `on_signal` runs in a signal handler: it
// may use only async-signal-safe calls.
//
//   InstallExitAndSignalHooks(&OnExit, &FlushFromSignal);  // once per process
#ifndef TOIL_RTLOG_JOB_PROCESS_HOOKS_H_
#define TOIL_RTLOG_JOB_PROCESS_HOOKS_H_

namespace toil::rtlog::internal {

// Installs the hooks; a second call does nothing.
void InstallExitAndSignalHooks(void (*on_exit)(), void (*on_signal)());

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_PROCESS_HOOKS_H_
