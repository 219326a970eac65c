// Tests of the toil-rtlog command-line tool, run as real processes.
#include <signal.h>
#include <sys/stat.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace toil {
namespace {

using testing::BackgroundProcess;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::RunProcess;

using testing::TestJob;
using testing::Tool;

TEST(CliTest, HelpForEveryCommand) {
  ProcessResult result = RunProcess({Tool(), "--help"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("serve"));
  for (const char* command : {"serve", "run", "send"}) {
    result = RunProcess({Tool(), command, "--help"});
    EXPECT_EQ(result.exit_code, 0) << command;
    EXPECT_THAT(result.out, HasSubstr(absl::StrCat("usage: toil-rtlog ", command)));
    EXPECT_THAT(result.out, HasSubstr("--level"));
  }
  EXPECT_THAT(RunProcess({Tool(), "serve", "--help"}).out, HasSubstr("--bind"));
  EXPECT_THAT(RunProcess({Tool(), "send", "--help"}).out, Not(HasSubstr("--bind")));
  // Each command explains its flags as they are for it, and no other's.
  const std::string tail = RunProcess({Tool(), "tail", "--help"}).out;
  EXPECT_THAT(tail, HasSubstr("  --level (default: all levels)\n      Only records at this level"));
  for (const char* command :
       {"serve", "run", "send", "tail", "status", "senders", "level", "stop"}) {
    const std::string help = RunProcess({Tool(), command, "--help"}).out;
    for (const char* other : {"\n      serve, run:", "\n      tail:", "\n      status, senders:",
                              "\n      send:", "\n      local:", "\n      slurm:"}) {
      EXPECT_THAT(help, Not(HasSubstr(other))) << command;
    }
  }
  for (const char* example : {"examples/demo_job", "examples/demo_workflow"}) {
    const ProcessResult help = RunProcess({testing::Runfile(example), "--help"});
    EXPECT_THAT(help.out + help.err, Not(HasSubstr("SetProgramUsageMessage"))) << example;
  }
}

TEST(CliTest, MistakesAreClearErrors) {
  ProcessResult result = RunProcess({Tool(), "frobnicate"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("unknown command \"frobnicate\""));
  result = RunProcess({Tool(), "send", "--jobs=3", "hi"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("--jobs is not a flag of send"));
  result = RunProcess({Tool(), "serve", "--level=loud"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("unknown log level \"loud\""));
  result = RunProcess({Tool(), "run", "--format=xml", "--", "true"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("--format=xml is not a format"));
  result = RunProcess({Tool(), "run"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("no command given"));
}

// Mistakes that used to be found only late (at the end of a run, or after
// connecting, or never) are refused at the start, with exit status 2.
TEST(CliTest, MistakesAreFoundBeforeAnythingStarts) {
  const std::string fifo = testing::TempPath("no_reader.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const struct {
    std::vector<std::string> args;
    std::string error;
  } cases[] = {
      {{"run", "--report_file=/nonexistent/dir/report.txt", "--", "/bin/true"},
       "--report_file=/nonexistent/dir/report.txt cannot be written: No such file or directory"},
      {{"serve", "--detach", "--output=" + fifo}, "it is a FIFO that no process reads"},
      {{"serve", "--jsonl_file=" + fifo}, "it is a FIFO that no process reads"},
      {{"serve", "--control=garbage"}, "--control=garbage is not where a control plane can listen"},
      {{"run", "--control=node1:80", "--", "/bin/true"}, "--control=node1:80 is not where"},
      {{"status", "--control=garbage"}, "\"garbage\" is not a leader's control address"},
      {{"tail", "--grep=(", "--control=unix:/nonexistent/s"},
       "--grep=( is not a regular expression"},
      {{"tail", "--level=LOUD", "--control=unix:/nonexistent/s"}, "unknown log level \"LOUD\""},
      {{"serve", "--auth=false", "--allow_unsigned"},
       "--allow_unsigned means nothing with --auth=false"},
      {{"run", "--auth=false", "--allow_unsigned", "--", "/bin/true"},
       "--allow_unsigned means nothing"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {Tool()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const ProcessResult result = RunProcess(argv, {}, absl::Seconds(30));
    EXPECT_EQ(result.exit_code, 2) << c.args[0] << " " << c.args[1] << ": " << result.err;
    EXPECT_THAT(result.err, HasSubstr(c.error)) << c.args[0];
  }
}

// A server whose export lines cannot be written could never be found (its
// port is random, its secret new): it does not stay behind. (One with a
// fixed --port and --auth=false can be found, and serves on: FaultTest.)
TEST(CliTest, ServeWithStdoutClosedStopsAndSaysWhy) {
  for (const std::string& detach : {std::string(""), std::string("--detach")}) {
    const ProcessResult result =
        RunProcess({"/bin/sh", "-c", absl::StrCat("exec '", Tool(), "' serve ", detach, " >&-")},
                   {}, absl::Seconds(30));
    EXPECT_EQ(result.exit_code, 1) << detach << ": " << result.err;
    EXPECT_THAT(result.err, HasSubstr("cannot write the export lines to stdout")) << detach;
  }
}

TEST(CliTest, ServeShowsWhatSendSendsAndSummarizesOnSigterm) {
  BackgroundProcess serve({Tool(), "serve", "--level=WARNING"});
  const auto exports = testing::ParseExports(serve.ReadStdoutLines(5, absl::Seconds(30)));
  ASSERT_EQ(exports.size(), 6u);
  EXPECT_TRUE(absl::StartsWith(exports.at("TOIL_RT_LOGGING_ADDRESS"), "127.0.0.1:"));
  EXPECT_TRUE(absl::StartsWith(exports.at("TOIL_RT_LOGGING_CONTROL"), "unix:/"));
  EXPECT_EQ(exports.at("TOIL_RT_LOGGING_LEVEL"), "WARNING");
  EXPECT_EQ(exports.at("TOIL_RT_LOGGING_SECRET").size(), 64u);
  const std::vector<testing::EnvChange> env = {
      {"TOIL_RT_LOGGING_ADDRESS", exports.at("TOIL_RT_LOGGING_ADDRESS")},
      {"TOIL_RT_LOGGING_LEVEL", exports.at("TOIL_RT_LOGGING_LEVEL")},
      {"TOIL_RT_LOGGING_SECRET", exports.at("TOIL_RT_LOGGING_SECRET")},
      {"TOIL_JOB_NAME", "shell-job"}};
  EXPECT_EQ(RunProcess({Tool(), "send", "--level=INFO", "below", "level"}, env).exit_code, 0);
  ProcessResult sent = RunProcess({Tool(), "send", "--level=ERROR", "disk", "50%", "full"}, env);
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_THAT(sent.err, HasSubstr("disk 50% full"));  // also in the job's own log
  // The record reaches the server before the signal: sends are synchronous,
  // and Stop() drains the socket.
  ProcessResult result = serve.Stop(SIGTERM);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("ERROR    [shell-job "));
  EXPECT_THAT(result.err, HasSubstr("disk 50% full"));
  EXPECT_THAT(result.err, Not(HasSubstr("below level")));
  EXPECT_THAT(result.err, HasSubstr("1 record received, 0 malformed, 0 datagrams dropped"));
  EXPECT_THAT(result.err, HasSubstr("refused: 0 unsigned, 0 with a bad signature"));
}

TEST(CliTest, ServeRefusesUnsignedRecordsUnlessAllowed) {
  for (const bool allow : {false, true}) {
    BackgroundProcess serve({Tool(), "serve", allow ? "--allow_unsigned" : "--auth"});
    const auto exports = testing::ParseExports(serve.ReadStdoutLines(5, absl::Seconds(30)));
    ASSERT_EQ(exports.size(), 6u);
    // A job that was not given the secret.
    const std::vector<testing::EnvChange> env = {
        {"TOIL_RT_LOGGING_ADDRESS", exports.at("TOIL_RT_LOGGING_ADDRESS")},
        {"TOIL_RT_LOGGING_LEVEL", "INFO"},
        {"TOIL_RT_LOGGING_SECRET", std::nullopt}};
    ASSERT_EQ(RunProcess({Tool(), "send", "unsigned", "words"}, env).exit_code, 0);
    ProcessResult result = serve.Stop(SIGTERM);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    if (allow) {
      EXPECT_THAT(result.err, HasSubstr(" unsigned] unsigned words"));
      EXPECT_THAT(result.err, HasSubstr("1 unsigned accepted"));
    } else {
      EXPECT_THAT(result.err, Not(HasSubstr("unsigned words")));
      EXPECT_THAT(result.err, HasSubstr("1 unsigned datagram refused from 127.0.0.1:"));
      EXPECT_THAT(result.err, HasSubstr("refused: 1 unsigned"));
    }
  }
}

TEST(CliTest, ServeWithoutAuthExportsNoSecret) {
  BackgroundProcess serve({Tool(), "serve", "--auth=false"});
  const auto exports = testing::ParseExports(serve.ReadStdoutLines(4, absl::Seconds(30)));
  EXPECT_EQ(exports.count("TOIL_RT_LOGGING_SECRET"), 0u);
  const std::vector<testing::EnvChange> env = {
      {"TOIL_RT_LOGGING_ADDRESS", exports.at("TOIL_RT_LOGGING_ADDRESS")},
      {"TOIL_RT_LOGGING_LEVEL", "INFO"}};
  ASSERT_EQ(RunProcess({Tool(), "send", "plain"}, env).exit_code, 0);
  ProcessResult result = serve.Stop(SIGTERM);
  EXPECT_THAT(result.err, HasSubstr("] plain\n"));
  EXPECT_THAT(result.err, Not(HasSubstr("refused")));
}

TEST(CliTest, ServeJsonLinesHaveMessageAndSender) {
  const std::string path = testing::TempPath("serve.jsonl");
  BackgroundProcess serve({Tool(), "serve", "--format=jsonl", "--output=" + path});
  const auto exports = testing::ParseExports(serve.ReadStdoutLines(5, absl::Seconds(30)));
  ASSERT_EQ(exports.size(), 6u);
  const std::vector<testing::EnvChange> env = {
      {"TOIL_RT_LOGGING_ADDRESS", exports.at("TOIL_RT_LOGGING_ADDRESS")},
      {"TOIL_RT_LOGGING_LEVEL", "INFO"},
      {"TOIL_RT_LOGGING_SECRET", exports.at("TOIL_RT_LOGGING_SECRET")}};
  ASSERT_EQ(RunProcess({TestJob(), "count", "3"}, env).exit_code, 0);
  EXPECT_EQ(serve.Stop(SIGINT).exit_code, 0);
  const std::string text = testing::ReadFile(path);
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    google::protobuf::Struct object;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &object).ok()) << lines[i];
    EXPECT_EQ(object.fields().at("message").string_value(), absl::StrCat("record ", i));
    EXPECT_EQ(object.fields().at("msg").string_value(), absl::StrCat("record ", i));
    EXPECT_TRUE(absl::StartsWith(object.fields().at("sender").string_value(), "127.0.0.1:"));
    EXPECT_EQ(object.fields().at("levelno").number_value(), 20);
    EXPECT_TRUE(object.fields().at("signed").bool_value());
    // 64-bit numbers as strings, so that jq and other readers of doubles
    // keep them exact.
    EXPECT_EQ(object.fields().at("seq").string_value(), absl::StrCat(i + 1));
    const std::string& stream = object.fields().at("stream").string_value();
    EXPECT_FALSE(stream.empty());
    EXPECT_EQ(stream.find_first_not_of("0123456789"), std::string::npos) << stream;
    EXPECT_FALSE(object.fields().at("thread").string_value().empty());
  }
}

TEST(CliTest, RunShowsRecordsAndExitsWithTheFirstFailure) {
  // Both jobs' lines, unfolded.
  ProcessResult result =
      RunProcess({Tool(), "run", "--jobs=2", "--repeat_window=0", "--", TestJob(), "levels"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("[test_job-1 "));
  EXPECT_THAT(result.err, HasSubstr("[test_job-2 "));
  EXPECT_THAT(result.err, HasSubstr("This should be logged at info level"));
  EXPECT_THAT(result.err, Not(HasSubstr("This should be logged at debug level")));
  EXPECT_THAT(result.err, HasSubstr("2 jobs, 0 failed; 2 records received"));

  result = RunProcess({Tool(), "run", "--level=DEBUG", "--", TestJob(), "levels"});
  EXPECT_THAT(result.err, HasSubstr("This should be logged at debug level"));

  result = RunProcess({Tool(), "run", "--", "/bin/sh", "-c", "exit 3"});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_THAT(result.err, HasSubstr("failed: exit status 3"));

  result = RunProcess({Tool(), "run", "--", "/no/such/program"});
  EXPECT_EQ(result.exit_code, 127) << result.err;
  EXPECT_THAT(result.err, HasSubstr("cannot start \"/no/such/program\""));
}

TEST(CliTest, RunWithEmptyLevelDisablesRealtimeLogging) {
  ProcessResult result = RunProcess({Tool(), "run", "--level=", "--", TestJob(), "levels"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, Not(HasSubstr("This should be logged")));
  EXPECT_THAT(result.err, HasSubstr("0 records received"));
}

TEST(CliTest, SendWithoutALeaderSucceeds) {
  ProcessResult result = RunProcess(
      {Tool(), "send", "--level=CRITICAL", "nobody", "listens"},
      {{"TOIL_RT_LOGGING_ADDRESS", std::nullopt}, {"TOIL_RT_LOGGING_LEVEL", std::nullopt}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("nobody listens"));
}

// An address without a level means real-time logging is off (as for every
// job); send says so, and still writes the record to stderr.
TEST(CliTest, SendWithAnAddressButNoLevelSaysWhyAndWritesToStderr) {
  const ProcessResult result = RunProcess(
      {Tool(), "send", "step", "done"},
      {{"TOIL_RT_LOGGING_ADDRESS", "127.0.0.1:9"}, {"TOIL_RT_LOGGING_LEVEL", std::nullopt}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("TOIL_RT_LOGGING_ADDRESS is set but TOIL_RT_LOGGING_LEVEL is "
                                    "not, so real-time logging is off"));
  EXPECT_THAT(result.err, HasSubstr("step done"));
}

// Lines ending in CR LF (text from Windows tools) lose the CR.
TEST(CliTest, SendTakesCrLfLines) {
  const ProcessResult result = RunProcess(
      {"/bin/sh", "-c", absl::StrCat("printf 'one\\r\\ntwo\\r\\n' | '", Tool(), "' send")},
      {{"TOIL_RT_LOGGING_ADDRESS", std::nullopt}, {"TOIL_RT_LOGGING_LEVEL", "INFO"}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("one\n"));
  EXPECT_THAT(result.err, HasSubstr("two\n"));
  EXPECT_THAT(result.err, Not(HasSubstr("\\x0d")));
}

}  // namespace
}  // namespace toil
