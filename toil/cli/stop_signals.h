// How the tool's long-running commands (serve, run) learn that they should
// stop: SIGINT, SIGTERM or SIGHUP, or a request from elsewhere (a Stop call
// on the control plane). The signals are blocked in every thread and taken
// by a watcher thread of their own, so the command ends cleanly, with its
// summary, and can say what stopped it.
//
//   StopSignals stop;              // before any other thread starts
//   ... start the work ...
//   std::string why = stop.Wait(); // "SIGTERM", or a request's reason
#ifndef TOIL_CLI_STOP_SIGNALS_H_
#define TOIL_CLI_STOP_SIGNALS_H_

#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace toil::cli {

class StopSignals {
 public:
  // Blocks the signals in this thread (and so in every thread it starts
  // afterwards) and starts the watcher.
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Asks for a stop; the first reason given is kept.
  void Request(std::string why);
  bool requested() const;
  // Waits for a stop; returns its reason.
  std::string Wait();
  // The signal that asked for the stop; 0 when none did.
  int signal_number() const;

 private:
  void Watch();

  sigset_t signals_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string why_;
  int signal_number_ = 0;
  bool done_ = false;
  std::thread watcher_;
};

}  // namespace toil::cli

#endif  // TOIL_CLI_STOP_SIGNALS_H_
