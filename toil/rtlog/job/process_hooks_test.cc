// The exit and signal hooks, in forked child processes: each child installs
// them, then ends in a way; the parent reads what the hooks wrote to a pipe
// and how the child ended.
#include "toil/rtlog/job/process_hooks.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <string>

#include "gtest/gtest.h"

namespace toil::rtlog::internal {
namespace {

int g_pipe = -1;
void Write(const char* what) { (void)!write(g_pipe, what, 1); }
void OnExit() { Write("x"); }
void OnSignal() { Write("s"); }
void ApplicationHandler(int) { Write("a"); }

struct Ended {
  std::string written;  // by the hooks, in order
  int status = 0;
};

// Forks; the child installs the hooks after `before`, then runs `end`.
Ended RunChild(const std::function<void()>& before, const std::function<void()>& end) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    g_pipe = fds[1];
    before();
    InstallExitAndSignalHooks(&OnExit, &OnSignal);
    end();
    _exit(99);  // `end` did not end the process
  }
  close(fds[1]);
  Ended ended;
  char c;
  while (read(fds[0], &c, 1) == 1) ended.written.push_back(c);
  close(fds[0]);
  waitpid(pid, &ended.status, 0);
  return ended;
}

TEST(ProcessHooksTest, ExitRunsTheExitHook) {
  const Ended ended = RunChild([] {}, [] { std::exit(3); });
  EXPECT_EQ(ended.written, "x");
  ASSERT_TRUE(WIFEXITED(ended.status));
  EXPECT_EQ(WEXITSTATUS(ended.status), 3);
}

TEST(ProcessHooksTest, ADefaultSignalRunsTheHookAndStillEndsTheProcess) {
  for (int signal_number : {SIGTERM, SIGINT, SIGHUP, SIGABRT}) {
    const Ended ended = RunChild([] {}, [signal_number] { raise(signal_number); });
    EXPECT_EQ(ended.written, "s") << signal_number;
    ASSERT_TRUE(WIFSIGNALED(ended.status)) << signal_number;
    EXPECT_EQ(WTERMSIG(ended.status), signal_number);
  }
}

TEST(ProcessHooksTest, TheApplicationsOwnHandlerRunsAfterTheHook) {
  const Ended ended = RunChild([] { signal(SIGTERM, &ApplicationHandler); },
                               [] {
                                 raise(SIGTERM);
                                 std::exit(0);  // the application's handler returned
                               });
  EXPECT_EQ(ended.written, "sax");
  ASSERT_TRUE(WIFEXITED(ended.status));
}

TEST(ProcessHooksTest, AnIgnoredSignalStaysIgnored) {
  const Ended ended = RunChild([] { signal(SIGHUP, SIG_IGN); },
                               [] {
                                 raise(SIGHUP);
                                 _exit(0);
                               });
  EXPECT_EQ(ended.written, "");
  ASSERT_TRUE(WIFEXITED(ended.status));
}

}  // namespace
}  // namespace toil::rtlog::internal
