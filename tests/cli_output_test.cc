// What the tool shows a person: `send` with its message on stdin and its
// logger name on the leader's terminal, `send` with no leader, the time
// styles of text lines, and colour only on terminals that support it.
// Real processes; a pseudo-terminal from script(1) where a TTY matters.
#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace toil {
namespace {

using testing::BackgroundProcess;
using ::testing::ContainsRegex;
using testing::EnvChange;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::RunProcess;

using testing::TestJob;
using testing::Tool;

const std::vector<EnvChange> kNoLeader = {{"TOIL_RT_LOGGING_ADDRESS", std::nullopt},
                                          {"TOIL_RT_LOGGING_LEVEL", std::nullopt},
                                          {"TOIL_RT_LOGGING_SECRET", std::nullopt}};

// `serve` with `flags`, and the environment its exports give a job.
struct Server {
  explicit Server(std::vector<std::string> flags) : process(Command(std::move(flags))) {
    const auto exports = testing::ParseExports(process.ReadStdoutLines(5, absl::Seconds(30)));
    for (const char* name :
         {"TOIL_RT_LOGGING_ADDRESS", "TOIL_RT_LOGGING_LEVEL", "TOIL_RT_LOGGING_SECRET"}) {
      const auto it = exports.find(name);
      env.push_back({name, it == exports.end() ? "" : it->second});
    }
  }
  static std::vector<std::string> Command(std::vector<std::string> flags) {
    flags.insert(flags.begin(), {Tool(), "serve"});
    return flags;
  }
  BackgroundProcess process;
  std::vector<EnvChange> env;
};

// Runs `command` (a shell command line) on a pseudo-terminal; returns what
// the terminal showed.
ProcessResult OnATerminal(const std::string& command, const std::vector<EnvChange>& env) {
  return RunProcess({"/usr/bin/script", "--quiet", "--return", "--command", command, "/dev/null"},
                    env);
}

TEST(CliOutputTest, SendReadsLinesFromStdinAndItsNameShows) {
  Server server({"--level=INFO"});
  std::vector<EnvChange> env = server.env;
  env.push_back({"TOIL_JOB_NAME", "nightly"});
  const ProcessResult sent = RunProcess({"/bin/bash", "-c",
                                         absl::StrCat("printf 'first line\\n\\nsecond line\\n' | '",
                                                      Tool(), "' send --name=backup.sh")},
                                        env);
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  const ProcessResult result = server.process.Stop(SIGTERM);
  EXPECT_THAT(result.err, ContainsRegex("\\[nightly [^ ]+ pid [0-9]+ backup\\.sh\\] first line"));
  EXPECT_THAT(result.err, ContainsRegex("\\[nightly [^ ]+ pid [0-9]+ backup\\.sh\\] second line"));
  EXPECT_THAT(result.err, HasSubstr("2 records received"));  // the empty line is not one
}

TEST(CliOutputTest, SendWithoutALeaderWritesToStderrAndATerminalIsToldWhy) {
  ProcessResult result = RunProcess({Tool(), "send", "nobody", "listens"}, kNoLeader);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("INFO     nobody listens"));
  EXPECT_THAT(result.err, Not(HasSubstr("no leader")));  // not a terminal: no note
  result =
      OnATerminal(absl::StrCat("'", Tool(), "' send --level=WARNING on a terminal"), kNoLeader);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("no leader: TOIL_RT_LOGGING_LEVEL and "
                                    "TOIL_RT_LOGGING_ADDRESS are not set"));
  EXPECT_THAT(result.out, HasSubstr("on a terminal"));
}

TEST(CliOutputTest, TextLinesShowTheTimeInTheStyleAsked) {
  Server utc({"--time=utc"});
  Server iso({"--time=iso"});
  for (Server* server : {&utc, &iso}) {
    ASSERT_EQ(RunProcess({Tool(), "send", "when"}, server->env).exit_code, 0);
  }
  EXPECT_THAT(
      utc.process.Stop(SIGTERM).err,
      ContainsRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z INFO "));
  EXPECT_THAT(iso.process.Stop(SIGTERM).err,
              ContainsRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}"
                            "[+-][0-9]{2}:[0-9]{2} INFO "));
  const ProcessResult bad = RunProcess({Tool(), "serve", "--time=epoch"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("--time=epoch is not a time style; use local, utc or iso"));
}

TEST(CliOutputTest, ColourOnlyOnTerminalsThatSupportIt) {
  const std::string run = absl::StrCat("'", Tool(), "' run -- '", TestJob(), "' critical");
  const ProcessResult xterm = OnATerminal(run, {{"TERM", "xterm"}, {"NO_COLOR", std::nullopt}});
  EXPECT_THAT(xterm.out, HasSubstr("\x1b[1;31mCRITICAL")) << xterm.out;
  const ProcessResult dumb = OnATerminal(run, {{"TERM", "dumb"}, {"NO_COLOR", std::nullopt}});
  EXPECT_THAT(dumb.out, HasSubstr("CRITICAL"));
  EXPECT_THAT(dumb.out, Not(HasSubstr("\x1b["))) << dumb.out;
  const ProcessResult no_color = OnATerminal(run, {{"TERM", "xterm"}, {"NO_COLOR", "1"}});
  EXPECT_THAT(no_color.out, Not(HasSubstr("\x1b["))) << no_color.out;
}

}  // namespace
}  // namespace toil
