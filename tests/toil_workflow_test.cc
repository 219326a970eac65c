// Real Toil (Debian's toil package, run by /usr/bin/python3) with
// toil-rtlog: tests/python/toil_workflow.py is a Toil workflow whose Python
// jobs log through Toil's RealtimeLogger and run a C++ job (test_job).
// - With toil_rtlog.enable(), Toil's --realTimeLogging runs `toil-rtlog
//   serve`: every record of every job, Python and C++, arrives once, signed,
//   named by its Toil job, with what Toil's own sender loses (an exception's
//   traceback, arguments JSON cannot carry) kept; on single_machine and on
//   Toil's Slurm batch system over the multi-node test cluster; the secret
//   is on no command line.
// - Without it, C++ jobs reach Toil's own Python leader.
// Where Toil is not installed (or, for Slurm, the cluster cannot start),
// each test fails under CI=true and is skipped with the reason otherwise.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "tests/delivery_checks.h"
#include "tests/slurm_cluster.h"
#include "tests/test_util.h"

namespace toil {
namespace {

using ::testing::AnyOf;
using testing::EnvChange;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::Runfile;
using ::testing::StartsWith;

constexpr char kPython[] = "/usr/bin/python3";  // the interpreter Debian's toil is for
constexpr int kChildren = 4;

// Why real Toil cannot run here; "" when it can.
std::string WhyNoToil() {
  const ProcessResult found = testing::RunProcess({kPython, "-c", "import toil.common"});
  return found.exit_code == 0 ? ""
                              : "Debian's toil is not installed (scripts/install-deps.sh "
                                "installs it): " +
                                    found.err;
}

// A runfile copied to `to`: Toil refuses a workflow script whose path is a
// link (it finds the module twice).
void CopyRunfile(const std::string& runfile, const std::string& to) {
  testing::WriteFile(to, testing::ReadFile(Runfile(runfile)));
}

std::string WorkflowScript() {
  const std::string dir = testing::TempPath("workflow");
  mkdir(dir.c_str(), 0700);
  CopyRunfile("tests/python/toil_workflow.py", dir + "/toil_workflow.py");
  return dir + "/toil_workflow.py";
}

// Runs the workflow with `job_store` and `flags` (after Toil's own), with
// toil_rtlog.enable(**`enable`) when given (a JSON object).
ProcessResult RunWorkflow(const std::string& job_store, const std::vector<std::string>& flags,
                          const std::optional<std::string>& enable,
                          std::vector<EnvChange> env = {}) {
  std::vector<std::string> argv = {kPython,
                                   WorkflowScript(),
                                   job_store,
                                   absl::StrCat("--jobs=", kChildren),
                                   "--cpp-job=" + testing::TestJob(),
                                   "--realTimeLogging",
                                   "--logInfo",
                                   "--clean=never"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  env.push_back({"PYTHONPATH", testing::PythonPackagePath()});
  env.push_back({"TOIL_RTLOG_BIN", testing::Tool()});
  env.push_back({"TOIL_WORKFLOW_ENABLE", enable});
  const std::string tmp = testing::TempPath("tmp-" + job_store.substr(job_store.rfind('/') + 1));
  mkdir(tmp.c_str(), 0700);
  env.push_back({"TMPDIR", tmp});
  return testing::RunProcess(argv, env, testing::Scaled(absl::Seconds(300)));
}

struct Record {
  std::string message, job, host, exc_text, stream;
  uint64_t seq = 0;
  bool is_signed = false;
};

// The records of a --format=jsonl file.
std::vector<Record> ReadRecords(const std::string& path) {
  std::vector<Record> records;
  for (const google::protobuf::Struct& object : testing::ReadJsonLines(path)) {
    auto field = [&](const char* key) { return testing::StringField(object, key); };
    Record r{field("message"), field("job"), field("hostname"), field("exc_text"), field("stream")};
    EXPECT_TRUE(absl::SimpleAtoi(field("seq"), &r.seq)) << r.message;
    r.is_signed = object.fields().count("signed") && object.fields().at("signed").bool_value();
    records.push_back(r);
  }
  return records;
}

// The records whose message starts with `prefix`.
std::vector<Record> Starting(const std::vector<Record>& records, const std::string& prefix) {
  std::vector<Record> found;
  for (const Record& r : records) {
    if (absl::StartsWith(r.message, prefix)) found.push_back(r);
  }
  return found;
}

// Checks what the workflow's jobs logged: each record once, signed and
// numbered without gaps, named by its job (the C++ job's by the Toil job
// that ran it), nothing lost of what Toil's own sender drops.
void ExpectEveryRecordOnceSignedAndNamed(const std::vector<Record>& records) {
  std::map<std::string, std::vector<uint64_t>> seqs;  // stream -> its numbers
  for (const Record& r : records) {
    EXPECT_TRUE(r.is_signed) << r.message;
    seqs[r.stream].push_back(r.seq);
  }
  for (const auto& [stream, numbers] : seqs) {
    for (size_t i = 0; i < numbers.size(); ++i) EXPECT_EQ(numbers[i], i + 1) << stream;
  }
  const std::vector<Record> root = Starting(records, "root starts ");
  ASSERT_EQ(root.size(), 1u);
  EXPECT_THAT(root[0].job, StartsWith("root/"));
  std::set<std::string> child_jobs;
  for (int k = 1; k <= kChildren; ++k) {
    const std::string child = absl::StrCat("child ", k, " ");
    const std::vector<Record> own = Starting(records, child);
    ASSERT_EQ(own.size(), 4u) << child;
    const std::string job = own[0].job;
    EXPECT_THAT(job, StartsWith("child/instance-"));
    child_jobs.insert(job);
    for (const Record& r : own) EXPECT_EQ(r.job, job) << r.message;
    EXPECT_EQ(own[0].message, child + "plain text 50%");
    // A JobDescription argument: json.dumps cannot carry it; formatted here.
    EXPECT_THAT(own[1].message, StartsWith(child + "describes 'child' kind-child/instance-"));
    EXPECT_EQ(own[2].message, child + "caught");
    EXPECT_THAT(own[2].exc_text, HasSubstr(absl::StrCat("ValueError: boom in child ", k)));
    EXPECT_EQ(own[3].message, child + "done");
    // Arguments that do not fit the message: shown with it, not lost.
    int mismatched = 0;
    for (const Record& r : Starting(records,
                                    "child %d mismatched %d [arguments not formatted: "
                                    "TypeError")) {
      mismatched += absl::StrContains(r.message, absl::StrCat("(", k, ", 'not a number')"));
      if (absl::StrContains(r.message, absl::StrCat("(", k, ", "))) {
        EXPECT_EQ(r.job, job);
      }
    }
    EXPECT_EQ(mismatched, 1) << child;
    // The C++ job the Python job ran: named by the Toil job, through
    // TOIL_JOB_NAME, and signed with the secret from its file.
    int cpp = 0;
    for (const Record& r : Starting(records, "record ")) cpp += r.job == job;
    EXPECT_EQ(cpp, 3) << job;
  }
  EXPECT_EQ(child_jobs.size(), static_cast<size_t>(kChildren));
  EXPECT_EQ(Starting(records, "record ").size(), 3u * kChildren);
  const std::vector<Record> look = Starting(records, "secret on ");
  ASSERT_EQ(look.size(), 1u);
  EXPECT_THAT(look[0].message, StartsWith("secret on 0 of "));
}

// What serve says when it stops: nothing lost, nothing refused.
void ExpectServeStoppedCleanly(const std::string& err) {
  EXPECT_THAT(err, HasSubstr("toil-rtlog serve: stopped by SIGTERM"));
  EXPECT_THAT(err, HasSubstr("0 lost in transit"));
  EXPECT_THAT(err, HasSubstr("refused: 0 unsigned, 0 with a bad signature, 0 from another run"));
}

// The stream connections serve's summary counts, none refused (a job whose
// connection stalled under load connects again: at least one per process).
int StreamConnections(const std::string& err) {
  const std::string words = " stream connections (0 refused)";
  const size_t end = err.find(words);
  if (end == std::string::npos) return 0;
  const size_t start = err.rfind(' ', end - 1) + 1;
  int n = 0;
  return absl::SimpleAtoi(err.substr(start, end - start), &n) ? n : 0;
}

// The run's secret, kept in the job store's toil-rtlog/secret, mode 600.
std::string KeptSecret(const std::string& job_store) {
  const std::string path = job_store + "/toil-rtlog/secret";
  struct stat info {};
  EXPECT_EQ(stat(path.c_str(), &info), 0) << path;
  EXPECT_EQ(info.st_mode & 0777, 0600u) << path;
  return std::string(absl::StripAsciiWhitespace(testing::ReadFile(path)));
}

class ToilWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = WhyNoToil();
    if (!why.empty()) TOIL_SKIP_OR_FAIL_UNDER_CI(why);
  }
};

TEST_F(ToilWorkflowTest, WithEnablePythonAndCppJobsReachTheCppLeaderSignedNamedAndWhole) {
  const std::string job_store = testing::TempPath("single-machine");
  const std::string jsonl = testing::TempPath("single-machine.jsonl");
  const ProcessResult run =
      RunWorkflow(job_store, {"--batchSystem=single_machine"},
                  absl::StrCat(R"({"format": "jsonl", "jsonl_file": ")", jsonl, R"(", "output": ")",
                               testing::TempPath("single-machine.out"), R"("})"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<Record> records = ReadRecords(jsonl);
  EXPECT_EQ(records.size(), 1u + kChildren * 5 + 1 + 3 * kChildren);
  ExpectEveryRecordOnceSignedAndNamed(records);
  ExpectServeStoppedCleanly(run.err);
  // Each Python job and each C++ job it ran came over the stream.
  EXPECT_GE(StreamConnections(run.err), 1 + 2 * kChildren) << run.err;
  EXPECT_THAT(run.err, HasSubstr("Starting real-time logging: toil-rtlog serve (pid "));
  EXPECT_EQ(KeptSecret(job_store).size(), 64u);
}

TEST_F(ToilWorkflowTest, WithoutEnableCppJobsReachToilsOwnPythonLeader) {
  const ProcessResult run =
      RunWorkflow(testing::TempPath("toil-leader"), {"--batchSystem=single_machine"}, std::nullopt);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, Not(HasSubstr("toil-rtlog serve")));
  // Toil's leader logs what arrives under the record's logger name.
  for (int i = 0; i < 3; ++i) {
    const std::string line = absl::StrCat("[toil-rt] record ", i, "\n");
    size_t count = 0;
    for (size_t at = run.err.find(line); at != std::string::npos; at = run.err.find(line, at + 1)) {
      ++count;
    }
    EXPECT_EQ(count, static_cast<size_t>(kChildren)) << line << run.err;
  }
  for (int k = 1; k <= kChildren; ++k) {
    EXPECT_THAT(run.err, HasSubstr(absl::StrCat("[toil-rt] child ", k, " plain text 50%")));
  }
}

TEST_F(ToilWorkflowTest, EnableSaysWhatIsWrongWithAnOption) {
  const std::vector<EnvChange> env = {{"PYTHONPATH", testing::PythonPackagePath()}};
  const struct {
    const char* call;
    const char* says;
  } cases[] = {
      {"enable(colour='red')", "unknown option 'colour'; the options are advertise, "},
      {"enable(port='5')", "option 'port' takes a int, not '5'"},
      {"enable(output='-')", "output='-' (stdout) is not possible here"},
  };
  for (const auto& c : cases) {
    const ProcessResult r = testing::RunProcess(
        {kPython, "-c", absl::StrCat("import toil_rtlog; toil_rtlog.", c.call)}, env);
    EXPECT_NE(r.exit_code, 0) << c.call;
    EXPECT_THAT(r.err, HasSubstr(c.says)) << c.call;
  }
  // The leader's program, looked for when the run starts.
  const ProcessResult missing = testing::RunProcess(
      {kPython, "-c", "import toil_rtlog.leader; toil_rtlog.leader.find_program()"},
      {{"PYTHONPATH", testing::PythonPackagePath()},
       {"PATH", "/nonexistent"},
       {"TOIL_RTLOG_BIN", std::nullopt}});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("toil-rtlog is not in PATH; put it there, set "
                                     "TOIL_RTLOG_BIN to its path, or pass program= to enable()"));
}

// The fenced block after the first line of `text` holding `marker`.
std::string BlockAfter(const std::string& text, const std::string& marker) {
  const size_t at = text.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = text.find('\n', text.find("```", at)) + 1;
  return text.substr(start, text.find("\n```", start) + 1 - start);
}

// The README's Toil example, as written: its Python lines are the top of
// examples/toil_workflow.py, and its command, run in a copy of python/ and
// examples/ with the tool at bazel-bin/toil/cli/, shows the jobs' records
// (a traceback among them) and toil-rtlog's report.
TEST_F(ToilWorkflowTest, TheReadmeExampleRunsAsWritten) {
  const std::string readme = testing::ReadFile(Runfile("README.md"));
  const std::string example = testing::ReadFile(Runfile("examples/toil_workflow.py"));
  const std::string lines = BlockAfter(readme, "<!-- examples/toil_workflow.py -->");
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(example, HasSubstr(lines));
  const std::string command =
      BlockAfter(readme, "<!-- tests/toil_workflow_test.cc runs the next block in bash");
  ASSERT_THAT(command, HasSubstr("examples/toil_workflow.py"));

  const std::string dir = testing::TempPath("readme");
  for (const std::string sub : {"", "/python", "/python/toil_rtlog", "/examples", "/bazel-bin",
                                "/bazel-bin/toil", "/bazel-bin/toil/cli", "/tmp"}) {
    mkdir((dir + sub).c_str(), 0700);
  }
  // Every file of the package, as a user's checkout has it.
  const std::string package = testing::PythonPackagePath() + "/toil_rtlog";
  std::string copied;
  for (const auto& entry : std::filesystem::directory_iterator(package)) {
    const std::string name = entry.path().filename();
    testing::WriteFile(absl::StrCat(dir, "/python/toil_rtlog/", name),
                       testing::ReadFile(absl::StrCat(package, "/", name)));
    absl::StrAppend(&copied, name, " ");
  }
  ASSERT_THAT(copied, HasSubstr("__init__.py")) << package;
  CopyRunfile("examples/toil_workflow.py", dir + "/examples/toil_workflow.py");
  ASSERT_EQ(symlink(testing::Tool().c_str(), (dir + "/bazel-bin/toil/cli/toil-rtlog").c_str()), 0);
  const ProcessResult run = testing::RunProcess(
      {"/bin/bash", "-e", "-c", "cd \"$0\" && eval \"$1\"", dir, command},
      {{"PATH", "/usr/bin:/bin"}, {"TMPDIR", dir + "/tmp"}}, testing::Scaled(absl::Seconds(300)));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("splitting the reads into 3 chunks")) << run.err;
  EXPECT_THAT(run.err, HasSubstr("chunk 3: cannot read its reads"));
  EXPECT_THAT(run.err, HasSubstr("FileNotFoundError: [Errno 2] No such file or directory"));
  EXPECT_THAT(run.err, HasSubstr("toil-rtlog serve: report: 4 jobs"));
  ExpectServeStoppedCleanly(run.err);
}

// Toil's Slurm batch system over the test cluster: the leader here, the
// jobs on node1 and node2, each record signed and named by job and node;
// sbatch's command lines (recorded by a stand-in that runs the real one)
// name the secret's file, never the secret.
TEST_F(ToilWorkflowTest, OnToilsSlurmBatchSystemEveryRecordArrivesFromTheNodes) {
  std::string why;
  std::unique_ptr<testing::SlurmCluster> cluster = testing::SlurmCluster::Start(&why);
  if (!cluster) TOIL_SKIP_OR_FAIL_UNDER_CI(why);
  const ProcessResult which = testing::RunProcess({"/bin/sh", "-c", "command -v sbatch"});
  ASSERT_EQ(which.exit_code, 0) << "no sbatch: " << which.err;
  const std::string bin = testing::TempPath("bin");
  const std::string argv_log = testing::TempPath("sbatch-argv");
  mkdir(bin.c_str(), 0700);
  testing::WriteFile(bin + "/sbatch",
                     absl::StrCat("#!/bin/sh\nprintf '%s\\n' \"$@\" >> '", argv_log, "'\nexec ",
                                  absl::StripAsciiWhitespace(which.out), " \"$@\"\n"),
                     0700);

  const std::string job_store = testing::TempPath("slurm");
  const std::string jsonl = testing::TempPath("slurm.jsonl");
  const ProcessResult run = RunWorkflow(
      job_store, {"--batchSystem=slurm", "--defaultMemory=100Mi", "--defaultDisk=100Mi"},
      absl::StrCat(R"({"format": "jsonl", "jsonl_file": ")", jsonl, R"(", "output": ")",
                   testing::TempPath("slurm.out"), R"(", "bind": ")", cluster->bridge_address(),
                   R"("})"),
      {{"PATH", absl::StrCat(bin, ":", std::getenv("PATH"))}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<Record> records = ReadRecords(jsonl);
  EXPECT_EQ(records.size(), 1u + kChildren * 5 + 1 + 3 * kChildren);
  ExpectEveryRecordOnceSignedAndNamed(records);
  std::set<std::string> hosts;
  for (const Record& r : records) {
    EXPECT_THAT(r.host, AnyOf("node1", "node2")) << r.job;
    hosts.insert(r.host);
  }
  EXPECT_EQ(hosts.size(), 2u) << "the jobs did not spread over both nodes";
  ExpectServeStoppedCleanly(run.err);
  EXPECT_GE(StreamConnections(run.err), 1 + 2 * kChildren) << run.err;

  const std::string submitted = testing::ReadFile(argv_log);
  EXPECT_THAT(submitted, HasSubstr("TOIL_RT_LOGGING_SECRET_FILE=" + job_store));
  const std::string secret = KeptSecret(job_store);
  ASSERT_EQ(secret.size(), 64u);
  EXPECT_THAT(submitted, Not(HasSubstr(secret)));
}

}  // namespace
}  // namespace toil
