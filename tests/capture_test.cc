// Capture of what jobs print (`toil-rtlog exec`, run by `toil-rtlog run`'s
// local batch system), with real processes: each line a job writes on
// stdout or stderr reaches the leader as a record naming the job, its pid
// and its stream, while the job's log file gets every byte as it came; the
// job's exit status, killing signal and stdin stay its own; records a job
// logs itself arrive once; progress bars are rate-limited, long lines cut
// and marked, a last line without a newline sent, binary output safe; a job
// printing faster than the leader takes keeps its file complete, and what
// was not sent is counted.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace toil::testing {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// A JSON-lines record's string field `key` (no unescaping beyond \").
std::string Field(absl::string_view line, absl::string_view key) {
  const std::string start = absl::StrCat("\"", key, "\":\"");
  const size_t at = line.find(start);
  if (at == absl::string_view::npos) return "";
  std::string value;
  for (size_t i = at + start.size(); i < line.size() && line[i] != '"'; ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) ++i;
    value.push_back(line[i]);
  }
  return value;
}

// The messages of the records with logger name `name`, in order.
std::vector<std::string> Messages(const std::string& jsonl, absl::string_view name) {
  std::vector<std::string> messages;
  for (absl::string_view line : absl::StrSplit(jsonl, '\n', absl::SkipEmpty())) {
    if (Field(line, "name") == name) messages.push_back(Field(line, "msg"));
  }
  return messages;
}

// The directory of the toil-rtlog under test, for jobs' PATH.
std::string ToolDir() { return Tool().substr(0, Tool().rfind('/')); }

// One job of `run` with `script` as its command; the records (JSON lines)
// and the job's log file.
struct CapturedRun {
  ProcessResult run;
  std::string records;
  std::string log;
};

CapturedRun RunScript(const std::string& script, std::vector<std::string> flags = {}) {
  static int runs = 0;
  const std::string tag = absl::StrCat("run-", ++runs);
  const std::string out = TempPath(tag + ".jsonl");
  const std::string logs = TempPath(tag + "-logs");
  std::vector<std::string> argv = {Tool(), "run", "--format=jsonl", "--output=" + out,
                                   "--log_dir=" + logs};
  argv.insert(argv.end(), flags.begin(), flags.end());
  for (const std::string& word :
       {std::string("--"), std::string("sh"), std::string("-c"), script}) {
    argv.push_back(word);
  }
  CapturedRun result;
  result.run =
      RunProcess(argv, {{"PATH", absl::StrCat(ToolDir(), ":/usr/bin:/bin")}}, absl::Seconds(120));
  result.records = ReadFile(out);
  result.log = ReadFile(logs + "/sh-1.log");
  return result;
}

TEST(CaptureTest, EachLineAJobPrintsReachesTheLeaderAndItsFileKeepsEveryByte) {
  const CapturedRun r = RunScript("echo out line; echo err line >&2; echo second out");
  ASSERT_EQ(r.run.exit_code, 0) << r.run.err;
  EXPECT_THAT(Messages(r.records, "stdout"), ElementsAre("out line", "second out"));
  EXPECT_THAT(Messages(r.records, "stderr"), ElementsAre("err line"));
  for (absl::string_view line : absl::StrSplit(r.records, '\n', absl::SkipEmpty())) {
    EXPECT_EQ(Field(line, "job"), "sh-1") << line;
  }
  // Each stream's bytes in order (between the two, in the order read).
  EXPECT_THAT(r.log, HasSubstr("out line\n"));
  EXPECT_THAT(r.log, HasSubstr("second out\n"));
  EXPECT_THAT(r.log, HasSubstr("err line\n"));
  EXPECT_EQ(r.log.size(), std::string("out line\nerr line\nsecond out\n").size());
  // The terminal shows the stream.
  const ProcessResult text = RunProcess({Tool(), "run", "--", "sh", "-c", "echo shown live"});
  EXPECT_THAT(text.err, ContainsRegex("\\[sh-1 \\S+ pid [0-9]+ stdout\\] shown live"));
}

TEST(CaptureTest, RecordsNameTheProgramsPidAndName) {
  const CapturedRun r = RunScript("echo $$; exec sh -c 'echo $$'");
  ASSERT_EQ(r.run.exit_code, 0) << r.run.err;
  const std::vector<std::string> pids = Messages(r.records, "stdout");
  ASSERT_EQ(pids.size(), 2u);
  for (absl::string_view line : absl::StrSplit(r.records, '\n', absl::SkipEmpty())) {
    EXPECT_THAT(std::string(line), HasSubstr(absl::StrCat("\"process\":", pids[0])));
    EXPECT_THAT(std::string(line), HasSubstr("\"processName\":\"sh\""));
  }
}

TEST(CaptureTest, TheJobsExitStatusAndKillingSignalStayItsOwn) {
  EXPECT_EQ(RunScript("echo failing; exit 7").run.exit_code, 7);
  const CapturedRun killed = RunScript("echo dying; kill -TERM $$");
  EXPECT_THAT(killed.run.err, HasSubstr("killed by SIGTERM"));
  EXPECT_THAT(Messages(killed.records, "stdout"), ElementsAre("dying"));
}

TEST(CaptureTest, ALineTheJobLogsItselfArrivesOnce) {
  const CapturedRun r =
      RunScript(absl::StrCat("toil-rtlog send 'sent once'; ", TestJob(), " count 3; echo printed"));
  ASSERT_EQ(r.run.exit_code, 0) << r.run.err;
  const std::string all = r.records;
  EXPECT_EQ(Messages(all, "toil-rt"),
            (std::vector<std::string>{"sent once", "record 0", "record 1", "record 2"}));
  EXPECT_THAT(Messages(all, "stdout"), ElementsAre("printed"));
  EXPECT_THAT(Messages(all, "stderr"), ::testing::IsEmpty());
  // ... and its copy is still in the job's log file.
  EXPECT_THAT(r.log, AllOf(HasSubstr("sent once"), HasSubstr("record 2"), HasSubstr("printed")));
}

TEST(CaptureTest, AProgressBarIsSentAsAFewUpdatesAndItsLastState) {
  const CapturedRun r = RunScript(
      "i=0; while [ $i -lt 100 ]; do i=$((i+1)); printf '\\rdone %d%%' $i; sleep 0.02; done; echo");
  ASSERT_EQ(r.run.exit_code, 0) << r.run.err;
  const std::vector<std::string> updates = Messages(r.records, "stdout");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back(), "done 100%");
  // At most one a second while it ran (2 s or more), and the first at once.
  EXPECT_LT(updates.size(), 100u / 4) << r.records;
  EXPECT_EQ(updates.front(), "done 1%");
  EXPECT_THAT(r.log, StartsWith("\rdone 1%\rdone 2%"));
}

TEST(CaptureTest, LongLinesAreCutAndMarkedBinaryIsSafeAndALastLineWithoutNewlineIsSent) {
  const CapturedRun r = RunScript(
      "head -c 100000 /dev/zero | tr '\\0' x; echo; printf 'bin\\000\\001\\377\\033[2Jend\\n'; "
      "printf 'no newline'");
  ASSERT_EQ(r.run.exit_code, 0) << r.run.err;
  const std::vector<std::string> lines = Messages(r.records, "stdout");
  ASSERT_EQ(lines.size(), 3u) << r.records;
  EXPECT_THAT(lines[0], AllOf(StartsWith(std::string(1000, 'x')), HasSubstr("[cut: 100000 bytes")));
  EXPECT_THAT(lines[1], AllOf(StartsWith("bin"), HasSubstr("end")));
  EXPECT_EQ(lines[2], "no newline");
  EXPECT_EQ(r.log, absl::StrCat(std::string(100000, 'x'), "\n",
                                std::string("bin\0\1\377\033[2Jend\n", 14), "no newline"));
  // The terminal shows the binary line escaped.
  EXPECT_THAT(RunProcess({Tool(), "run", "--", "sh", "-c", "printf 'a\\033[2Jb\\n'"}).err,
              HasSubstr("a\\x1b[2Jb"));
}

TEST(CaptureTest, EachStreamHasItsLevelAndTheRunsLevelHoldsForCapturedLines) {
  const CapturedRun r =
      RunScript("echo out; echo err >&2", {"--stderr_level=WARNING", "--level=WARNING"});
  ASSERT_EQ(r.run.exit_code, 0) << r.run.err;
  EXPECT_THAT(Messages(r.records, "stdout"), ::testing::IsEmpty());  // INFO, below the run's level
  EXPECT_THAT(Messages(r.records, "stderr"), ElementsAre("err"));
  EXPECT_THAT(r.records, HasSubstr("\"levelname\":\"WARNING\""));
  // Both in the file (between the streams, in the order they were read).
  EXPECT_THAT(r.log, ::testing::AnyOf("out\nerr\n", "err\nout\n"));
  EXPECT_EQ(RunProcess({Tool(), "run", "--stdout_level=LOUD", "--", "true"}).exit_code, 2);
}

TEST(CaptureTest, WithCaptureOffOnlyTheFileGetsTheOutput) {
  const CapturedRun r = RunScript("echo only in the file", {"--capture=false"});
  ASSERT_EQ(r.run.exit_code, 0) << r.run.err;
  EXPECT_THAT(Messages(r.records, "stdout"), ::testing::IsEmpty());
  EXPECT_EQ(r.log, "only in the file\n");
}

TEST(CaptureTest, ExecKeepsTheProgramsStdinAndSaysWhenItCannotRunIt) {
  const ProcessResult piped =
      RunProcess({"/bin/sh", "-c", absl::StrCat("echo from stdin | ", Tool(), " exec -- cat")});
  EXPECT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.out, "from stdin\n");
  const ProcessResult missing = RunProcess({Tool(), "exec", "no-such-program-here", "--x"});
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_THAT(missing.err, HasSubstr("cannot run no-such-program-here"));
  EXPECT_EQ(RunProcess({Tool(), "exec"}).exit_code, 2);
  EXPECT_EQ(RunProcess({Tool(), "exec", "--stdout_level=LOUD", "true"}).exit_code, 2);
}

TEST(CaptureTest, AJobPrintingFasterThanTheLeaderTakesKeepsItsFileAndNothingGoesUncounted) {
  constexpr int kLines = 200000;
  const CapturedRun r = RunScript(absl::StrCat("seq 1 ", kLines));
  ASSERT_EQ(r.run.exit_code, 0) << r.run.err;
  // Every line in the file, in order (and, after them, what the capture
  // says it could not send).
  int in_order = 0;
  for (absl::string_view line : absl::StrSplit(r.log, '\n', absl::SkipEmpty())) {
    if (line == std::to_string(in_order + 1)) ++in_order;
  }
  EXPECT_EQ(in_order, kLines);
  const size_t received = Messages(r.records, "stdout").size();
  // What did not arrive was counted as not sent, and the leader was told.
  size_t not_sent = 0;
  for (const std::string& warning : Messages(r.records, "toil-rt")) {
    size_t in_all = warning.find(" in all");
    if (in_all == std::string::npos) continue;
    const size_t open = warning.rfind('(', in_all);
    size_t n = 0;
    if (absl::SimpleAtoi(warning.substr(open + 1, in_all - open - 1), &n)) not_sent = n;
  }
  EXPECT_EQ(received + not_sent, static_cast<size_t>(kLines)) << r.run.err;
}

}  // namespace
}  // namespace toil::testing
