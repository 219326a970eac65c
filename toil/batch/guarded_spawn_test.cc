// StartGuardedProcess with real processes: a job's group is guarded before
// its program runs, with no word from the leader after the start (a leader
// killed that moment leaves nothing behind); the job gets its files, its
// environment, no blocked signal and default actions, and a group of its
// own; a job that cannot start is reported with the reason.
#include "toil/batch/guarded_spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace toil::batch {
namespace {

using ::testing::HasSubstr;

// A job whose stdout and stderr go to `out`.
JobProcess ShellJob(const std::string& script, const std::string& out) {
  JobProcess process;
  process.argv = {"sh", "-c", script};
  process.env = {"PATH=/usr/bin:/bin"};
  process.files = {ChildFile::Open(STDIN_FILENO, "/dev/null", O_RDONLY),
                   ChildFile::Open(STDOUT_FILENO, out, O_WRONLY | O_CREAT | O_TRUNC),
                   ChildFile::Copy(STDOUT_FILENO, STDERR_FILENO)};
  return process;
}

int ExitCode(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool Gone(pid_t pid) {
  const std::string stat = testing::ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t close = stat.rfind(") ");
  return stat.empty() || (close != std::string::npos && stat[close + 2] == 'Z');
}

// The leader says nothing to the guard after the start (as one killed right
// after fork returned): the job added its group itself, so the guardian
// still ends the job and what it started once the leader's end is seen.
TEST(GuardedSpawnTest, AJobIsGuardedWithNoWordFromTheLeaderAfterItsStart) {
  const std::string pid_file = testing::TempPath("guarded_sleep.pid");
  auto guard = std::make_unique<ProcessGroupGuard>();
  pid_t job = -1;
  ASSERT_EQ(StartGuardedProcess(ShellJob(absl::StrCat("sleep 600 & echo $! > ", pid_file, "; wait"),
                                         testing::TempPath("guarded.out")),
                                *guard, &job),
            0);
  pid_t sleeper = 0;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return absl::SimpleAtoi(absl::StripAsciiWhitespace(testing::ReadFile(pid_file)), &sleeper);
      },
      absl::Seconds(30), "the job's background process"));
  guard.reset();  // the guardian sees the leader's end
  const ::testing::AssertionResult ended =
      testing::WaitUntil([&] { return Gone(job) && Gone(sleeper); }, absl::Seconds(30),
                         "the job and what it started to end");
  EXPECT_TRUE(ended);
  if (!ended) kill(-job, SIGKILL);  // not left running past the test
  EXPECT_EQ(ExitCode(job), 128 + SIGKILL);
}

TEST(GuardedSpawnTest, AJobGetsItsFilesItsEnvironmentAndAGroupOfItsOwn) {
  ProcessGroupGuard guard;
  const std::string out = testing::TempPath("files.out");
  // Field 5 of /proc/PID/stat is the process group ("sh" holds no space).
  JobProcess process = ShellJob(
      "read -r pid comm state ppid group rest < /proc/$$/stat; echo \"group $group of $pid\"; "
      "echo \"X=$X\"; echo to-stderr >&2",
      out);
  process.env.push_back("X=from the leader");
  pid_t job = -1;
  ASSERT_EQ(StartGuardedProcess(process, guard, &job), 0);
  EXPECT_EQ(ExitCode(job), 0);
  const std::string text = testing::ReadFile(out);
  EXPECT_THAT(text, HasSubstr(absl::StrCat("group ", job, " of ", job, "\n")));
  EXPECT_THAT(text, HasSubstr("X=from the leader\n"));
  EXPECT_THAT(text, HasSubstr("to-stderr\n"));
}

// The job's program is grep itself (a shell would change its own mask while
// it waits for a child).
TEST(GuardedSpawnTest, AJobStartsWithNoSignalBlockedAndTheDefaultActions) {
  // What this thread blocks and this process ignores.
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGINT);
  sigaddset(&blocked, SIGUSR2);
  sigset_t before;
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &blocked, &before), 0);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction pipe_before {};
  ASSERT_EQ(sigaction(SIGPIPE, &ignore, &pipe_before), 0);
  struct sigaction hup_before {};
  ASSERT_EQ(sigaction(SIGHUP, &ignore, &hup_before), 0);
  struct sigaction usr1_before {};
  ASSERT_EQ(sigaction(SIGUSR1, &ignore, &usr1_before), 0);

  ProcessGroupGuard guard;
  const std::string out = testing::TempPath("signals.out");
  JobProcess process = ShellJob("", out);
  process.argv = {"grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"};
  pid_t job = -1;
  const int error = StartGuardedProcess(process, guard, &job);
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  sigaction(SIGPIPE, &pipe_before, nullptr);
  sigaction(SIGHUP, &hup_before, nullptr);
  sigaction(SIGUSR1, &usr1_before, nullptr);
  ASSERT_EQ(error, 0);
  EXPECT_EQ(ExitCode(job), 0);
  const std::string text = testing::ReadFile(out);
  EXPECT_THAT(text, HasSubstr("SigBlk:\t0000000000000000\n"));
  // SIGUSR1 stays ignored; SIGPIPE and SIGHUP are back to their defaults.
  const size_t at = text.find("SigIgn:\t");
  ASSERT_NE(at, std::string::npos) << text;
  uint64_t ignored = 0;
  ASSERT_TRUE(absl::SimpleHexAtoi(text.substr(at + 8, 16), &ignored)) << text;
  const auto bit = [](int signal_number) { return uint64_t{1} << (signal_number - 1); };
  EXPECT_EQ(ignored & (bit(SIGUSR1) | bit(SIGPIPE) | bit(SIGHUP)), bit(SIGUSR1)) << text;
}

TEST(GuardedSpawnTest, AJobThatCannotStartIsReportedWithTheReason) {
  ProcessGroupGuard guard;
  pid_t job = -1;
  JobProcess missing = ShellJob("true", testing::TempPath("missing.out"));
  missing.argv = {"no-such-command-anywhere"};
  EXPECT_EQ(StartGuardedProcess(missing, guard, &job), ENOENT);

  const std::string not_executable = testing::TempPath("not_executable");
  testing::WriteFile(not_executable, "#!/bin/sh\n", 0644);
  JobProcess refused = ShellJob("true", testing::TempPath("refused.out"));
  refused.argv = {not_executable};
  EXPECT_EQ(StartGuardedProcess(refused, guard, &job), EACCES);

  // The command exists; its output file cannot be opened (in the child).
  JobProcess unopened = ShellJob("true", testing::TempPath("no/such/dir/out"));
  EXPECT_EQ(StartGuardedProcess(unopened, guard, &job), ENOENT);
  EXPECT_EQ(job, -1);
  // Each was reaped: this thread's only child is the guardian.
  EXPECT_EQ(testing::ReadFile(absl::StrCat("/proc/self/task/", gettid(), "/children")),
            absl::StrCat(guard.guardian(), " "));
}

}  // namespace
}  // namespace toil::batch
