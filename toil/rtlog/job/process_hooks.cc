// Exit and signal hooks; see process_hooks.h.
#include "toil/rtlog/job/process_hooks.h"

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>

namespace toil::rtlog::internal {
namespace {

constexpr int kEndingSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGABRT,
                                  SIGSEGV, SIGBUS, SIGFPE, SIGILL};

struct sigaction g_previous[NSIG];
void (*g_on_signal)() = nullptr;

void OnSignal(int signal_number, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  g_on_signal();
  const struct sigaction& previous = g_previous[signal_number];
  if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(signal_number, info, context);
  } else if (previous.sa_handler == SIG_IGN) {
    // The application ignores it; so do we.
  } else if (previous.sa_handler == SIG_DFL || previous.sa_handler == nullptr) {
    // Let the signal take its default course (end the process, dump core)
    // once this handler returns.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    sigaction(signal_number, &default_action, nullptr);
    raise(signal_number);
  } else {
    previous.sa_handler(signal_number);
  }
  errno = saved_errno;
}

}  // namespace

void InstallExitAndSignalHooks(void (*on_exit)(), void (*on_signal)()) {
  static std::atomic<bool> installed{false};
  if (installed.exchange(true)) return;
  std::atexit(on_exit);
  g_on_signal = on_signal;
  for (int signal_number : kEndingSignals) {
    struct sigaction current {};
    if (sigaction(signal_number, nullptr, &current) != 0) continue;
    if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) {
      continue;  // ignored on purpose (nohup, a shell's background job)
    }
    g_previous[signal_number] = current;
    struct sigaction ours {};
    ours.sa_sigaction = &OnSignal;
    ours.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&ours.sa_mask);
    sigaction(signal_number, &ours, nullptr);
  }
}

}  // namespace toil::rtlog::internal
