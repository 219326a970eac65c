// A job program that logs and then ends in a chosen way, for the tests of
// what reaches the leader at the end of a job.
//
//   exit_job return N        log N records, return from main
//   exit_job exit N          log N records, exit(3)
//   exit_job sigterm N       log N records, raise SIGTERM
//   exit_job wait N          log N records, print READY, wait for a signal
//   exit_job abort N         log N records, abort()
//   exit_job segv N          log N records, write to an inaccessible page
//   exit_job handler N       install its own SIGTERM handler first (it prints
//                            "app handler ran" and _exit(7)s), log, SIGTERM
//   exit_job critical N      log N INFO records and a CRITICAL one, _exit(0)
//   exit_job fork N          log, fork; the child logs N records and exits
//   exit_job flood N         log N records as fast as one thread can
//   exit_job stalled N       fill stderr (a pipe nobody reads yet), log N
//                            records, print READY and return: the sender is
//                            stuck writing the stderr copy until it is read
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "toil/rtlog/rt_log.h"

namespace {

void LogMany(int n, const char* tag) {
  for (int i = 0; i < n; ++i) RT_LOG(INFO) << tag << " " << i;
}

void AppHandler(int) {
  const char text[] = "app handler ran\n";
  (void)!write(STDOUT_FILENO, text, sizeof(text) - 1);
  _exit(7);
}

// Writes to stderr until its pipe is full, then makes it blocking again.
void FillStderr() {
  const int flags = fcntl(STDERR_FILENO, F_GETFL);
  fcntl(STDERR_FILENO, F_SETFL, flags | O_NONBLOCK);
  static char block[4096];
  std::memset(block, '.', sizeof(block));
  while (write(STDERR_FILENO, block, sizeof(block)) > 0) {
  }
  fcntl(STDERR_FILENO, F_SETFL, flags);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const std::string mode = argv[1];
  const int n = std::atoi(argv[2]);
  if (mode == "handler") signal(SIGTERM, &AppHandler);
  if (mode == "fork") {
    RT_LOG(INFO) << "parent before fork";
    const pid_t child = fork();
    if (child == 0) {
      LogMany(n, "child");
      std::exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    RT_LOG(INFO) << "parent after fork, child status " << status;
    return 0;
  }
  if (mode == "stalled") FillStderr();
  LogMany(n, mode.c_str());
  if (mode == "stalled") {
    std::printf("READY\n");
    std::fflush(stdout);
  }
  if (mode == "return" || mode == "flood" || mode == "stalled") return 0;
  if (mode == "exit") std::exit(3);
  if (mode == "sigterm" || mode == "handler") raise(SIGTERM);
  if (mode == "wait") {
    std::printf("READY\n");
    std::fflush(stdout);
    while (true) pause();
  }
  if (mode == "abort") std::abort();
  if (mode == "segv") {
    // A real fault: a write to a page that allows no access (a null pointer
    // write would be caught by UBSan as undefined behaviour first).
    void* page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *static_cast<volatile int*>(page) = 1;
  }
  if (mode == "critical") {
    RT_LOG(CRITICAL) << "critical last words";
    _exit(0);  // no atexit, no flush: the CRITICAL record must be sent already
  }
  return 9;
}
