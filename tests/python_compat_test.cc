// Wire compatibility with Toil's Python real-time logger, both directions,
// with real python3 processes (standard library only):
// - a Python job logging the way Toil's jobs do, shown by the C++ leader
//   exactly as Python's record.getMessage() renders it;
// - C++ jobs (RT_LOG and toil-rtlog send) received by a leader built the way
//   Toil's is, and formatted by Python's logging without a single error.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "toil/batch/local_batch_system.h"
#include "toil/rtlog/leader/format/py_value.h"
#include "toil/rtlog/sinks/json_lines_sink.h"
#include "toil/rtlog/sinks/terminal_sink.h"
#include "toil/runner/realtime_logger.h"

namespace toil {
namespace {

using rtlog::internal::ParsePyValue;
using rtlog::internal::PyValue;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::Runfile;

constexpr char kPython[] = "/usr/bin/python3";

const PyValue* Field(const PyValue& object, absl::string_view key) {
  for (const auto& [name, value] : object.dict) {
    if (name == key) return &value;
  }
  return nullptr;
}

// Runs tests/python/toil_job.py as one job and waits for it. A job that did
// not finish fails the test and comes back with exit code -1.
batch::FinishedJob RunToilJobPy(batch::LocalBatchSystem& batch_system) {
  EXPECT_TRUE(
      batch_system.IssueJob({"python-job", kPython, {Runfile("tests/python/toil_job.py")}}).ok());
  std::optional<batch::FinishedJob> done =
      batch_system.WaitForFinishedJob(testing::Scaled(absl::Seconds(60)));
  EXPECT_TRUE(done.has_value()) << "the Python job did not finish";
  if (done.has_value()) return *done;
  batch::FinishedJob missing;
  missing.exit_code = -1;
  return missing;
}

// The jobs' records only: what they print (Python's own logging on
// stderr) is not captured.
batch::LocalBatchSystemOptions RecordsOnly() { return {.capture_output = false}; }

void RunPythonJob(const std::string& bind_host) {
  batch::LocalBatchSystem batch_system(RecordsOnly());
  testing::CollectingSink sink;
  const std::string dir = std::getenv("TEST_TMPDIR");
  const std::string text_path = dir + "/python_job_" + bind_host + ".txt";
  const std::string jsonl_path = dir + "/python_job_" + bind_host + ".jsonl";
  const int text_fd = open(text_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  rtlog::TerminalSink terminal(text_fd, {.color = rtlog::ColorMode::kNever,
                                         .repeat_window = absl::ZeroDuration(),
                                         .job_lines_per_second = 0});
  auto jsonl = rtlog::JsonLinesSink::Open(jsonl_path);
  ASSERT_TRUE(jsonl.ok());
  std::string job_output;
  {
    rtlog::RealtimeLogger logger(batch_system, {.level = "DEBUG",
                                                .sinks = {&sink, &terminal, jsonl->get()},
                                                .server = {.listen = {.bind_host = bind_host},
                                                           .ingest = {.allow_unsigned = true}}});
    ASSERT_TRUE(logger.started()) << logger.status();
    const batch::FinishedJob done = RunToilJobPy(batch_system);
    job_output = testing::ReadFile(done.log_path);
    ASSERT_EQ(done.exit_code, 0) << job_output;
  }
  close(text_fd);
  // Read once the scope has ended: the leader took in every queued datagram
  // before it stopped. (While it runs, it may still be working on them.)
  const rtlog::LogStats stats = rtlog::RealtimeLogger::Stats();
  EXPECT_EQ(stats.malformed, 0u);
  EXPECT_EQ(stats.unsigned_accepted, 17u);

  std::map<std::string, testing::CollectingSink::Entry> by_name;
  for (const auto& entry : sink.entries()) by_name[entry.record.name()] = entry;
  int checked = 0;
  for (absl::string_view line : absl::StrSplit(job_output, '\n', absl::SkipEmpty())) {
    absl::StatusOr<PyValue> expected = ParsePyValue(line);
    ASSERT_TRUE(expected.ok()) << "job printed: " << line;
    const std::string& name = Field(*expected, "name")->text;
    ASSERT_TRUE(by_name.count(name)) << "no record " << name;
    const auto& entry = by_name[name];
    // Python jobs cannot sign: accepted because allowed, and marked.
    EXPECT_EQ(entry.authenticity, rtlog::Authenticity::kUnsigned) << name;
    const std::string& message = Field(*expected, "expected")->text;
    if (Field(*expected, "ok")->boolean) {
      EXPECT_EQ(entry.message, message) << name;
    } else {
      // Python raised `message` (the exception's name): shown raw, marked.
      EXPECT_TRUE(absl::StartsWith(entry.message, entry.record.msg())) << entry.message;
      EXPECT_THAT(entry.message, HasSubstr("[unformatted: " + message)) << name;
      EXPECT_THAT(entry.message, HasSubstr("; args: ")) << name;
    }
    int64_t levelno = 0;
    ASSERT_TRUE(absl::SimpleAtoi(Field(*expected, "levelno")->text, &levelno));
    EXPECT_EQ(entry.record.levelno(), levelno) << name;
    uint64_t thread = 0;
    ASSERT_TRUE(absl::SimpleAtoi(Field(*expected, "thread")->text, &thread));
    EXPECT_EQ(entry.record.thread(), thread) << name;  // 64-bit idents intact
    if (const PyValue* exc_text = Field(*expected, "exc_text")) {
      EXPECT_EQ(entry.record.exc_text(), exc_text->text);
    }
    if (const PyValue* stack_info = Field(*expected, "stack_info")) {
      EXPECT_EQ(entry.record.stack_info(), stack_info->text);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 17);
  EXPECT_EQ(sink.entries().size(), 17u);

  // The terminal: traceback indented under its record, the non-standard
  // level 25 shown as INFO, non-ASCII intact.
  const std::string text = testing::ReadFile(text_path);
  EXPECT_THAT(text, HasSubstr("it failed: step 3\n    | Traceback (most recent call last):\n"));
  EXPECT_THAT(text, HasSubstr("    |     raise ValueError(\"boom\")"));
  EXPECT_THAT(text, HasSubstr("with stack\n    | Stack (most recent call last):"));
  // Named after the job the batch system started as its pid (Toil's
  // records name no job).
  EXPECT_THAT(text, HasSubstr("INFO     [python-job " + bind_host + " pid "));
  // The Python logger's name follows the sender (it is not "toil-rt").
  EXPECT_THAT(text, HasSubstr(" unsigned case.0] toil_job.py:10: plain message"));
  EXPECT_THAT(text, HasSubstr("custom level NOTICE"));
  EXPECT_THAT(
      text, HasSubstr("unicode \xF0\x9F\x98\x80 caf\xC3\xA9 \xC3\xA9\xE6\x97\xA5\xF0\x9F\x8E\x89"));
  // JSON lines keep the number 25.
  EXPECT_THAT(testing::ReadFile(jsonl_path), HasSubstr("\"levelname\":\"NOTICE\",\"levelno\":25,"));
  EXPECT_THAT(testing::ReadFile(jsonl_path), HasSubstr(",\"signed\":false}"));
}

// By default a leader requires signatures: a Python job's records are
// refused and counted (HostileInputTest checks the warning's words).
TEST(PythonJobToCppLeaderTest, RefusedUnlessUnsignedRecordsAreAllowed) {
  batch::LocalBatchSystem batch_system(RecordsOnly());
  testing::CollectingSink sink;
  {
    rtlog::RealtimeLogger logger(batch_system, {.level = "DEBUG", .sinks = {&sink}});
    ASSERT_TRUE(logger.started()) << logger.status();
    const batch::FinishedJob done = RunToilJobPy(batch_system);
    ASSERT_EQ(done.exit_code, 0) << testing::ReadFile(done.log_path);
  }
  EXPECT_EQ(sink.entries().size(), 0u);
  const rtlog::LogStats stats = rtlog::RealtimeLogger::Stats();
  EXPECT_EQ(stats.unsigned_refused, 17u);
  EXPECT_EQ(stats.records, 0u);
}

TEST(PythonJobToCppLeaderTest, ShownExactlyAsPythonRendersIt) { RunPythonJob("127.0.0.1"); }

// Toil's Python jobs name no job in their records: the leader names them
// after the job its batch system started as their pid, so the report has a
// row per job (not one "MainProcess" row for all of them).
TEST(PythonJobToCppLeaderTest, RecordsWithoutAJobNameAreNamedByTheirPid) {
  const testing::ProcessResult result = testing::RunProcess(
      {testing::Tool(), "run", "--allow_unsigned", "--jobs=3", "--max_parallel=3", "--level=DEBUG",
       "--repeat_window=0", "--report=json", "--", kPython, Runfile("tests/python/toil_job.py")},
      {}, absl::Seconds(120));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, Not(HasSubstr("MainProcess")));
  for (int k = 1; k <= 3; ++k) {
    EXPECT_THAT(result.out, HasSubstr(absl::StrCat("\"job\":\"python3-", k, "\"")));
  }
  EXPECT_THAT(result.err, HasSubstr("[python3-1 "));
  EXPECT_THAT(result.err, Not(HasSubstr("[MainProcess ")));
}

TEST(PythonJobToCppLeaderTest, OverIpv6) { RunPythonJob("::1"); }

TEST(CppJobToPythonLeaderTest, PythonLoggingFormatsEveryRecordWithoutError) {
  testing::BackgroundProcess leader(
      {kPython, Runfile("tests/python/toil_leader.py"), "--count=5", "--handler-level=WARNING"});
  const std::string ready = leader.ReadStdoutLines(1, absl::Seconds(30));
  ASSERT_TRUE(absl::StartsWith(ready, "READY ")) << ready;
  const std::string address =
      absl::StrCat("127.0.0.1:", absl::StripAsciiWhitespace(ready.substr(6)));
  const std::vector<testing::EnvChange> env = {
      {"TOIL_RT_LOGGING_ADDRESS", address},
      {"TOIL_RT_LOGGING_LEVEL", "DEBUG"},
      // Signed datagrams, as from a C++ leader's run: a Python leader reads
      // them as usual (the signature is one more attribute).
      {"TOIL_RT_LOGGING_SECRET",
       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"},
      {"TOIL_JOB_NAME", "cpp-job"}};
  ASSERT_EQ(testing::RunProcess({testing::TestJob(), "mixed"}, env).exit_code, 0);
  ASSERT_EQ(
      testing::RunProcess(
          {testing::Tool(), "send", "--level=ERROR", "--name=shell", "from", "send", "50%"}, env)
          .exit_code,
      0);
  const testing::ProcessResult result = leader.Stop(0, absl::Seconds(60));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("RECEIVED 5"));
  EXPECT_THAT(result.err, Not(HasSubstr("Logging error")));
  EXPECT_THAT(result.err, Not(HasSubstr("MALFORMED")));
  EXPECT_THAT(result.err, Not(HasSubstr("Traceback")));
  // Toil's usual format, for every record.
  EXPECT_THAT(result.out, HasSubstr("] [MainThread] [D] [toil-rt] debug record"));
  EXPECT_THAT(result.out,
              HasSubstr("] [MainThread] [I] [toil-rt] 100% verbatim: %s %d %(key)s %%\n"));
  EXPECT_THAT(result.out, HasSubstr("] [W] [toil-rt] warning record"));
  EXPECT_THAT(result.out, HasSubstr("] [E] [shell] from send 50%"));
  // The detail handler sits at WARNING: Python filters on the records' levels.
  EXPECT_THAT(result.out, Not(HasSubstr("levelno=10")));
  EXPECT_THAT(result.out, Not(HasSubstr("levelno=20")));
  EXPECT_THAT(result.out, HasSubstr("file=test_job.cc func=main levelno=30 level=WARNING"));
  EXPECT_THAT(result.out, HasSubstr("levelno=40 level=ERROR"));
  EXPECT_THAT(result.out, HasSubstr("line=0 file= func= levelno=40 level=ERROR"));
}

}  // namespace
}  // namespace toil
