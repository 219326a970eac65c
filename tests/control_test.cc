// The control plane with real processes: `toil-rtlog serve` (or a
// RealtimeLogger here) as the leader, and `toil-rtlog tail`, `status`,
// `senders`, `level` and `stop` in other processes, over the leader's
// private Unix socket or its TCP address with a token. Who may use it, and
// what the others are told: control_access_test.cc.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/log_control.grpc.pb.h"
#include "tests/serve_process.h"
#include "tests/test_util.h"
#include "toil/batch/local_batch_system.h"
#include "toil/runner/realtime_logger.h"

namespace toil {
namespace {

using testing::BackgroundProcess;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::RunProcess;

using testing::Serve;
using testing::TestJob;
using testing::Tool;

int CountOf(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ControlTest, TailFollowsFiltersAndReplays) {
  Serve serve({});
  ASSERT_TRUE(absl::StartsWith(serve.exports().at("TOIL_RT_LOGGING_CONTROL"), "unix:/"));
  // The socket and its directory: this user's alone.
  const std::string socket_path = serve.exports().at("TOIL_RT_LOGGING_CONTROL").substr(5);
  struct stat info;
  ASSERT_EQ(stat(socket_path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(socket_path.substr(0, socket_path.rfind('/')).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);

  ASSERT_EQ(RunProcess({TestJob(), "mixed"}, serve.JobEnv("early/1")).exit_code, 0);
  // A follower started before the next job's records.
  BackgroundProcess follower({Tool(), "tail", "--follow", "--last=0"}, serve.ViewerEnv());
  BackgroundProcess warnings(
      {Tool(), "tail", "--follow", "--last=0", "--level=WARNING", "--job=align*", "--format=jsonl"},
      serve.ViewerEnv());
  ASSERT_TRUE(testing::WaitUntil([&] { return serve.Count("viewers") == 2; }, absl::Seconds(30),
                                 "two viewers"));
  ASSERT_EQ(RunProcess({TestJob(), "mixed"}, serve.JobEnv("align/7")).exit_code, 0);
  ASSERT_TRUE(follower.WaitForStdout("error record", absl::Seconds(30)));
  ASSERT_TRUE(warnings.WaitForStdout("error record", absl::Seconds(30)));
  const std::string all = follower.Stop(SIGINT).out;
  const std::string filtered = warnings.Stop(SIGINT).out;
  // As the leader's terminal sink shows them, only the later job's.
  EXPECT_THAT(all, HasSubstr("DEBUG    [align/7 "));
  EXPECT_THAT(all, HasSubstr("] test_job.cc:"));
  EXPECT_THAT(all, Not(HasSubstr("early/1")));
  // WARNING and up, from align*, as JSON lines.
  EXPECT_EQ(CountOf(filtered, "\n"), 2) << filtered;
  EXPECT_THAT(filtered, HasSubstr("\"message\":\"warning record\""));
  EXPECT_THAT(filtered, Not(HasSubstr("debug record")));

  // --last replays what was kept; --grep and --host filter it.
  ProcessResult last = serve.Tool({"tail", "--last=3"});
  EXPECT_EQ(last.exit_code, 0) << last.err;
  EXPECT_EQ(CountOf(last.out, "\n"), 3) << last.out;
  EXPECT_THAT(last.out, HasSubstr("[align/7 "));
  last = serve.Tool({"tail", "--last=100", "--grep=^(debug|error) rec"});
  EXPECT_EQ(CountOf(last.out, "\n"), 4) << last.out;  // from both jobs
  last = serve.Tool({"tail", "--last=100", "--host=no-such-host"});
  EXPECT_EQ(last.out, "");
  EXPECT_EQ(last.exit_code, 0) << last.err;
  // --name keeps one logger's records: RT_LOG's here, no captured stdout.
  const ProcessResult every = serve.Tool({"tail", "--last=100"});
  EXPECT_EQ(serve.Tool({"tail", "--last=100", "--name=toil-rt"}).out, every.out);
  EXPECT_EQ(serve.Tool({"tail", "--last=100", "--name=stdout"}).out, "");

  // stop: the same clean stop and summary as SIGINT.
  const ProcessResult stopped = serve.Tool({"stop"});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  const ProcessResult result = serve.Stop();
  EXPECT_THAT(result.err,
              HasSubstr("stopped by a stop request (toil-rtlog stop); 8 records received"));
  EXPECT_NE(stat(socket_path.c_str(), &info), 0) << "the socket outlived the server";
}

// A Tail call of this test's own, as a client other than toil-rtlog (or an
// older toil-rtlog) makes it: what came in the responses' JSON lines and
// entries, and the call's status.
struct RawTail {
  std::string jsonl;
  int entries = 0;
  grpc::Status status;
};
RawTail TailDirectly(const Serve& serve, const rtlog::v1::TailRequest& request) {
  auto stub = rtlog::v1::LogControl::NewStub(grpc::CreateChannel(
      serve.exports().at("TOIL_RT_LOGGING_CONTROL"), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + testing::Scaled(absl::Seconds(30))));
  std::unique_ptr<grpc::ClientReader<rtlog::v1::TailResponse>> reader =
      stub->Tail(&context, request);
  RawTail tail;
  rtlog::v1::TailResponse response;
  while (reader->Read(&response)) {
    tail.jsonl += response.jsonl();
    tail.entries += response.entries_size();
  }
  tail.status = reader->Finish();
  return tail;
}

// A reader that goes away ends tail quietly, as it ends `tail -f`: at once
// when following (even with no new record to write), and a one-shot tail
// with more to write says nothing of a broken pipe either.
TEST(ControlTest, TailEndsQuietlyWhenItsReaderGoes) {
  Serve serve({});
  ASSERT_EQ(RunProcess({TestJob(), "count", "300"}, serve.JobEnv("many/1")).exit_code, 0);
  ASSERT_TRUE(testing::WaitUntil([&] { return serve.Count("records") == 300; }, absl::Seconds(30),
                                 "the records"));
  const std::string err = testing::TempPath("tail_err");
  for (const std::string& tail :
       {std::string("tail --follow --last=5 | grep -m1 -q many"),
        std::string("tail --last=300 | head -n 1 >/dev/null"),
        std::string("tail --follow --format=jsonl | head -n 1 >/dev/null")}) {
    // The shell waits for both ends of the pipeline.
    const ProcessResult result =
        RunProcess({"/bin/sh", "-c",
                    absl::StrCat("'", Tool(), "' ", tail.substr(0, tail.find('|')), " 2>", err, " ",
                                 tail.substr(tail.find('|')), "; echo done")},
                   serve.ViewerEnv(), absl::Seconds(60));
    EXPECT_EQ(result.exit_code, 0) << tail << ": " << result.err;
    EXPECT_EQ(result.out, "done\n") << tail;
    EXPECT_EQ(testing::ReadFile(err), "") << tail;
  }
  serve.Stop();
}

TEST(ControlTest, TailPrintsExactlyWhatTheLeadersJsonLinesSinkWrote) {
  const std::string sink = testing::TempPath("exact.jsonl");
  Serve serve({"--format=jsonl", "--output=" + sink});
  ASSERT_EQ(RunProcess({TestJob(), "mixed"}, serve.JobEnv("exact/1")).exit_code, 0);
  ASSERT_TRUE(testing::WaitUntil([&] { return CountOf(testing::ReadFile(sink), "\n") == 4; },
                                 absl::Seconds(30), "the job's 4 records in the sink's file"));
  const std::string written = testing::ReadFile(sink);
  // toil-rtlog tail gets entries and prints them with the sink's own code.
  const ProcessResult tail = serve.Tool({"tail", "--last=100", "--format=jsonl"});
  EXPECT_EQ(tail.exit_code, 0) << tail.err;
  EXPECT_EQ(tail.out, written);
  // A client that asks for JSON lines (the form's default) gets the same.
  rtlog::v1::TailRequest request;
  request.set_last(100);
  RawTail lines = TailDirectly(serve, request);
  EXPECT_TRUE(lines.status.ok()) << lines.status.error_message();
  EXPECT_EQ(lines.jsonl, written);
  EXPECT_EQ(lines.entries, 0);
  request.set_form(rtlog::v1::ENTRIES);
  RawTail entries = TailDirectly(serve, request);
  EXPECT_EQ(entries.entries, 4);
  EXPECT_EQ(entries.jsonl, "");
  // A form this leader does not know is refused, and says which ones it knows.
  request.set_form(static_cast<rtlog::v1::TailForm>(7));
  RawTail unknown = TailDirectly(serve, request);
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(unknown.status.error_message(), HasSubstr("no Tail form numbered 7"));
  serve.Stop();
}

// The records a viewer was told it missed, from its stderr in `path`
// ("toil-rtlog tail: N records missed: ...").
uint64_t Missed(const std::string& path) { return testing::ViewerMissed(testing::ReadFile(path)); }

TEST(ControlTest, AHundredViewersOneStoppedAndNothingIsLost) {
  // Keep 100 records, so that the stopped viewer falls out of the ring.
  const std::string sink = testing::TempPath("records.jsonl");
  Serve serve({"--tail_keep=100", "--format=jsonl", "--output=" + sink});
  // Each viewer writes to a file of its own (a pipe nobody reads would stop
  // it as surely as SIGSTOP).
  std::vector<std::unique_ptr<BackgroundProcess>> viewers;
  std::vector<std::string> outputs;
  // A hundred viewers; thirty under a sanitizer (each several times slower
  // on the same two cores). The first, which is stopped, follows every job;
  // the others the small records of job busy/1.
  const bool sanitized = testing::Scaled(absl::Seconds(1)) > absl::Seconds(1);
  const int kViewers = sanitized ? 30 : 100;
  for (int i = 0; i < kViewers; ++i) {
    outputs.push_back(testing::TempPath(absl::StrCat("viewer-", i, ".jsonl")));
    viewers.push_back(std::make_unique<BackgroundProcess>(
        std::vector<std::string>{"/bin/sh", "-c",
                                 absl::StrCat("exec '", Tool(), "' tail --follow --last=0 ",
                                              i == 0 ? "" : "--job='busy*' ", "--format=jsonl >'",
                                              outputs.back(), "' 2>'", outputs.back(), ".err'")},
        serve.ViewerEnv()));
  }
  ASSERT_TRUE(testing::WaitUntil([&] { return serve.Count("viewers") == kViewers; },
                                 absl::Seconds(60), "every viewer to attach"));
  BackgroundProcess& stopped = *viewers[0];
  ASSERT_EQ(kill(stopped.pid(), SIGSTOP), 0);
  const absl::Time stop_time = absl::Now();
  // A stopped viewer's connection still takes in what the kernel buffers
  // for it (the leader asks for a 4 MiB send buffer, which the kernel
  // doubles) and the message the leader is writing: 1,536 records of 8 KiB
  // from job pad/1, 12 MiB, are more than that and the ring together. They
  // come 2 ms apart (5 ms under a sanitizer), well within the 10 s: as one
  // burst they would overflow the leader's socket.
  const int kRecords = sanitized ? 2000 : 3000;
  const int kPadded = 1536;
  ASSERT_EQ(RunProcess({TestJob(), "paced", absl::StrCat(kPadded), sanitized ? "5" : "2", "8192"},
                       serve.JobEnv("pad/1"))
                .exit_code,
            0);
  ASSERT_EQ(
      RunProcess({TestJob(), "count", absl::StrCat(kRecords)}, serve.JobEnv("busy/1")).exit_code,
      0);
  // The sink has every record while the viewer is still stopped.
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return CountOf(testing::ReadFile(sink), "\n") == kPadded + kRecords; },
      absl::Seconds(60), "every record in the JSON-lines file"))
      << CountOf(testing::ReadFile(sink), "\n")
      << " in the file; the leader's counts: " << serve.Tool({"status"}).out;
  EXPECT_EQ(serve.Count("dropped_by_kernel"), 0);
  // The scenario: the viewer stays stopped for 10 s in all.
  absl::SleepFor(stop_time + absl::Seconds(10) - absl::Now());
  ASSERT_EQ(kill(stopped.pid(), SIGCONT), 0);
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return absl::StrContains(testing::ReadFile(outputs[0] + ".err"),
                                 "records missed: this viewer fell behind");
      },
      absl::Seconds(60), "the stopped viewer to be told what it missed"));
  // Every viewer writes at its own pace (many processes on a busy machine;
  // a slow one may fall behind too, and is told): wait until each has
  // every record or its count of those it missed.
  const auto expected = [&](size_t viewer) {
    return static_cast<uint64_t>(viewer == 0 ? kPadded + kRecords : kRecords);
  };
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        for (size_t i = 0; i < outputs.size(); ++i) {
          if (CountOf(testing::ReadFile(outputs[i]), "\n") + Missed(outputs[i] + ".err") <
              expected(i)) {
            return false;
          }
        }
        return true;
      },
      absl::Seconds(120), "every viewer to account for every record"));
  const ProcessResult summary = serve.Stop();
  EXPECT_THAT(summary.err, HasSubstr(absl::StrCat(kPadded + kRecords,
                                                  " records received, 0 malformed, "
                                                  "0 datagrams dropped by the kernel, 0 lost")));
  // Every viewer got each record or was told it missed it.
  for (size_t i = 0; i < viewers.size(); ++i) {
    viewers[i]->Stop(SIGKILL);
    EXPECT_EQ(CountOf(testing::ReadFile(outputs[i]), "\n") + Missed(outputs[i] + ".err"),
              expected(i))
        << "viewer " << i;
  }
}

// `run` issues every job at once; those still queued when the level changes
// start with the new one.
TEST(ControlTest, LevelReachesTheQueuedJobsOfARun) {
  const std::string dir = testing::TempPath("run_level");
  BackgroundProcess run({Tool(), "run", "--jobs=3", "--max_parallel=1", "--log_dir=" + dir, "--",
                         "/bin/sh", "-c",
                         "echo level=$TOIL_RT_LOGGING_LEVEL; "
                         "while [ ! -e " +
                             dir + "/go ]; do sleep 0.02; done"});
  ASSERT_TRUE(run.WaitForStderr(" toil-rtlog tail --follow", absl::Seconds(60)));
  const std::string said = run.stderr_so_far();
  const size_t at = said.find("TOIL_RT_LOGGING_CONTROL=");
  ASSERT_NE(at, std::string::npos) << said;
  const std::string control = said.substr(at + 24, said.find(' ', at) - at - 24);
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return absl::StrContains(testing::ReadFile(dir + "/sh-1.log"), "level="); },
      absl::Seconds(60), "the first job to start"));
  const ProcessResult changed = RunProcess({Tool(), "level", "DEBUG", "--control=" + control});
  EXPECT_EQ(changed.exit_code, 0) << changed.err;
  ASSERT_EQ(system(("touch " + dir + "/go").c_str()), 0);
  const ProcessResult result = run.Stop(0, absl::Seconds(60));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(testing::ReadFile(dir + "/sh-1.log"), "level=INFO\n");
  EXPECT_EQ(testing::ReadFile(dir + "/sh-2.log"), "level=DEBUG\n");
  EXPECT_EQ(testing::ReadFile(dir + "/sh-3.log"), "level=DEBUG\n");
}

TEST(ControlTest, SetLevelReachesTheNextJobAndNotTheRunningOne) {
  batch::LocalBatchSystem batch_system;
  testing::CollectingSink sink;
  {
    rtlog::RealtimeLogger logger(batch_system, {.level = "INFO", .sinks = {&sink}});
    ASSERT_TRUE(logger.started()) << logger.status();
    const std::string control = rtlog::RealtimeLogger::ControlTarget();
    ASSERT_TRUE(absl::StartsWith(control, "unix:/")) << control;
    ASSERT_TRUE(batch_system.IssueJob({"before", TestJob(), {"levels_paced", "30", "20"}}).ok());
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          for (const auto& e : sink.entries()) {
            if (e.record.job() == "before") return true;
          }
          return false;
        },
        absl::Seconds(30), "the first job to log"));
    const ProcessResult changed = RunProcess({Tool(), "level", "DEBUG", "--control=" + control});
    EXPECT_EQ(changed.exit_code, 0) << changed.err;
    EXPECT_THAT(changed.out,
                HasSubstr("jobs that start from now on get TOIL_RT_LOGGING_LEVEL=DEBUG "
                          "(it was INFO); jobs already running keep theirs"));
    EXPECT_EQ(batch_system.GetEnvironment().at("TOIL_RT_LOGGING_LEVEL"), "DEBUG");
    ASSERT_TRUE(batch_system.IssueJob({"after", TestJob(), {"levels_paced", "5", "1"}}).ok());
    for (int done = 0; done < 2;) {
      std::optional<batch::FinishedJob> job =
          batch_system.WaitForFinishedJob(testing::Scaled(absl::Seconds(60)));
      ASSERT_TRUE(job.has_value());
      EXPECT_EQ(job->exit_code, 0);
      ++done;
    }
  }
  std::map<std::string, std::set<std::string>> levels;
  for (const auto& entry : sink.entries()) {
    levels[entry.record.job()].insert(entry.record.levelname());
  }
  EXPECT_EQ(levels["before"], std::set<std::string>({"INFO"}));
  EXPECT_EQ(levels["after"], std::set<std::string>({"DEBUG", "INFO"}));
}

}  // namespace
}  // namespace toil
