// What following a leader, and folding its terminal, cost it.
// `toil-rtlog serve` takes a paced load
// (sender processes using RT_LOG) while 0, 1 or 4 (--followers) `toil-rtlog
// tail --follow` processes watch it (where more than one, one of them is
// stopped by SIGSTOP); the leader's own CPU time (from /proc/<pid>/stat) per
// record received is compared side by side, in rounds, with each round's
// ratio too, and what each follower that reads spends itself. Then the
// latency from RT_LOG in a job to a follower's
// output: a job logs records 1 ms apart, and the follower's JSON lines are
// read as they come (arrival time minus the record's `created`).
// --threads also gives the leader's CPU and context switches per record by
// thread (its receive and processing threads, gRPC's), to see where a
// follower's cost goes.
//
// With --terminal, instead: the leader writes the terminal view (to
// /dev/null) with repeats folded and jobs' shares on (the default), with
// folding alone, and with both off, side by side in rounds.
//
//   bazel run -c opt //bench:control_bench -- [--rounds=3] [--rate=100000] [--seconds=5]
//   [--threads] bazel run -c opt //bench:control_bench -- --terminal
//
// The processes are real: this program in sender mode, and the toil-rtlog
// tool as leader and followers.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/test_util.h"
#include "toil/rtlog/rt_log.h"

ABSL_FLAG(std::string, mode, "run", "run (the orchestrator) or send");
ABSL_FLAG(int, rounds, 3, "rounds of the 0/1/4-follower comparison");
ABSL_FLAG(int, rate, 100000, "records per second, all senders together");
ABSL_FLAG(double, seconds, 5, "seconds of paced load per measurement");
ABSL_FLAG(int, senders, 4, "sender processes");
ABSL_FLAG(int, latency_records, 10000, "records in the latency run (1 ms apart; 0: none)");
ABSL_FLAG(std::string, followers, "0,1,4",
          "numbers of followers to compare, the first the base (with more than one, one is "
          "stopped)");
ABSL_FLAG(bool, threads, false, "also print the leader's CPU and context switches by thread");
ABSL_FLAG(bool, terminal, false, "compare the terminal view's settings instead");
ABSL_FLAG(int, count, 0, "send: records to log");
ABSL_FLAG(int, per_second, 0, "send: records per second");

namespace toil::bench {
namespace {

using testing::Tool;

// send mode: `count` records at `per_second`, in steps of 1 ms.
int Send() {
  const int count = absl::GetFlag(FLAGS_count);
  const int per_ms = std::max(1, absl::GetFlag(FLAGS_per_second) / 1000);
  auto next = std::chrono::steady_clock::now();
  for (int i = 0; i < count;) {
    for (int j = 0; j < per_ms && i < count; ++j, ++i) RT_LOG(INFO) << "paced record " << i;
    next += std::chrono::milliseconds(1);
    std::this_thread::sleep_until(next);
  }
  return 0;
}

// The CPU seconds (user + system) in a /proc stat line.
double CpuSecondsOfStat(const std::string& stat) {
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ');
  double utime = 0;
  double stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtod(fields[11], &utime) ||
      !absl::SimpleAtod(fields[12], &stime)) {
    return 0;
  }
  return (utime + stime) / sysconf(_SC_CLK_TCK);
}

// A process's CPU seconds so far, from /proc.
double CpuSeconds(pid_t pid) {
  return CpuSecondsOfStat(testing::ReadFile(absl::StrCat("/proc/", pid, "/stat")));
}

// CPU seconds and context switches so far, by thread name, of the
// threads `pid` has now (threads that have ended are not counted).
struct ThreadCost {
  double cpu = 0;
  uint64_t switches = 0;
};
std::map<std::string, ThreadCost> CostByThread(pid_t pid) {
  std::map<std::string, ThreadCost> cost;
  const std::string tasks = absl::StrCat("/proc/", pid, "/task");
  DIR* dir = opendir(tasks.c_str());
  if (dir == nullptr) return cost;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const std::string task = absl::StrCat(tasks, "/", entry->d_name);
    const std::string stat = testing::ReadFile(absl::StrCat(task, "/stat"));
    const size_t open = stat.find('(');
    const size_t close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    ThreadCost& thread = cost[stat.substr(open + 1, close - open - 1)];
    thread.cpu += CpuSecondsOfStat(stat);
    for (absl::string_view line :
         absl::StrSplit(testing::ReadFile(absl::StrCat(task, "/status")), '\n')) {
      uint64_t n = 0;
      if (absl::ConsumePrefix(&line, "voluntary_ctxt_switches:") ||
          absl::ConsumePrefix(&line, "nonvoluntary_ctxt_switches:")) {
        if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &n)) thread.switches += n;
      }
    }
  }
  closedir(dir);
  return cost;
}

// What each kind of thread spent between `before` and `after`, per record.
std::string DescribeThreads(const std::map<std::string, ThreadCost>& before,
                            const std::map<std::string, ThreadCost>& after, uint64_t records) {
  std::string text;
  for (const auto& [name, cost] : after) {
    const auto was = before.find(name);
    const ThreadCost start = was == before.end() ? ThreadCost{} : was->second;
    const double cpu = cost.cpu - start.cpu;
    if (cpu <= 0 && cost.switches == start.switches) continue;
    absl::StrAppendFormat(&text, "    %-16s %.3f us/record, %.3f switches/record\n", name,
                          cpu * 1e6 / records,
                          static_cast<double>(cost.switches - start.switches) / records);
  }
  return text;
}

struct Leader {
  std::unique_ptr<testing::BackgroundProcess> process;
  std::map<std::string, std::string> exports;
};

// `serve` with `flags` (default: JSON lines to /dev/null).
Leader StartLeader(std::vector<std::string> flags = {"--format=jsonl", "--output=/dev/null"}) {
  Leader leader;
  flags.insert(flags.begin(), {Tool(), "serve", "--level=INFO"});
  leader.process = std::make_unique<testing::BackgroundProcess>(flags);
  leader.exports = testing::ParseExports(leader.process->ReadStdoutLines(5, absl::Seconds(30)));
  return leader;
}

// A sender process: this program in send mode, its stderr (the job's own
// copy of each record) thrown away, as nobody reads it here.
std::unique_ptr<testing::BackgroundProcess> StartSender(const Leader& leader, int count,
                                                        int per_second);

std::vector<testing::EnvChange> JobEnv(const Leader& leader) {
  std::vector<testing::EnvChange> env;
  for (const char* name :
       {"TOIL_RT_LOGGING_ADDRESS", "TOIL_RT_LOGGING_LEVEL", "TOIL_RT_LOGGING_SECRET"}) {
    env.push_back({name, leader.exports.at(name)});
  }
  return env;
}

std::unique_ptr<testing::BackgroundProcess> StartSender(const Leader& leader, int count,
                                                        int per_second) {
  return std::make_unique<testing::BackgroundProcess>(
      std::vector<std::string>{"/bin/sh", "-c",
                               absl::StrCat("exec '", testing::Runfile("bench/control_bench"),
                                            "' --mode=send --count=", count,
                                            " --per_second=", per_second, " 2>/dev/null")},
      JobEnv(leader));
}

// The CPU seconds so far of the followers that read (all but the stopped
// one, where there is one).
double ReadingFollowersCpu(const std::vector<std::unique_ptr<testing::BackgroundProcess>>& tails) {
  double cpu = 0;
  for (size_t i = tails.size() > 1 ? 1 : 0; i < tails.size(); ++i)
    cpu += CpuSeconds(tails[i]->pid());
  return cpu;
}

// The leader's CPU microseconds per record with `followers` tail processes
// (with more than one, one is stopped), under the paced load; the leader
// started with `leader_flags`.
double CpuPerRecord(int followers, std::vector<std::string> leader_flags = {"--format=jsonl",
                                                                            "--output=/dev/null"}) {
  Leader leader = StartLeader(std::move(leader_flags));
  std::vector<std::unique_ptr<testing::BackgroundProcess>> tails;
  for (int i = 0; i < followers; ++i) {
    tails.push_back(std::make_unique<testing::BackgroundProcess>(
        std::vector<std::string>{"/bin/sh", "-c",
                                 absl::StrCat("exec '", Tool(),
                                              "' tail --follow --last=0 --format=jsonl "
                                              ">/dev/null")},
        std::vector<testing::EnvChange>{
            {"TOIL_RT_LOGGING_CONTROL", leader.exports.at("TOIL_RT_LOGGING_CONTROL")}}));
  }
  absl::SleepFor(absl::Milliseconds(500));  // let the followers attach
  if (followers > 1) kill(tails[0]->pid(), SIGSTOP);
  const int senders = absl::GetFlag(FLAGS_senders);
  const int per_sender = absl::GetFlag(FLAGS_rate) / senders;
  const int count = static_cast<int>(per_sender * absl::GetFlag(FLAGS_seconds));
  const double before = CpuSeconds(leader.process->pid());
  const double followers_before = ReadingFollowersCpu(tails);
  const std::map<std::string, ThreadCost> threads_before = CostByThread(leader.process->pid());
  std::vector<std::unique_ptr<testing::BackgroundProcess>> jobs;
  for (int i = 0; i < senders; ++i) jobs.push_back(StartSender(leader, count, per_sender));
  for (auto& job : jobs) job->Stop(0, absl::Minutes(5));
  absl::SleepFor(absl::Milliseconds(500));  // the leader takes in the tail end
  const double cpu = CpuSeconds(leader.process->pid()) - before;
  const double followers_cpu = ReadingFollowersCpu(tails) - followers_before;
  const std::map<std::string, ThreadCost> threads_after = CostByThread(leader.process->pid());
  if (followers > 1) kill(tails[0]->pid(), SIGCONT);
  // What the followers that were not stopped missed: a follower that misses
  // records costs the leader less, and would flatter it.
  uint64_t missed = 0;
  for (size_t i = 0; i < tails.size(); ++i) {
    const uint64_t n = testing::ViewerMissed(tails[i]->Stop(SIGKILL).err);
    if (followers == 1 || i > 0) missed += n;
  }
  const testing::ProcessResult summary = leader.process->Stop(SIGTERM);
  uint64_t received = 0;
  const size_t at = summary.err.find(" records received");
  const size_t start = summary.err.rfind(' ', at - 1);
  if (at == std::string::npos ||
      !absl::SimpleAtoi(summary.err.substr(start + 1, at - start - 1), &received) ||
      received == 0) {
    std::fprintf(stderr, "control_bench: no summary from the leader: %s\n", summary.err.c_str());
    return 0;
  }
  const int reading = followers > 1 ? followers - 1 : followers;
  std::printf(
      "  %d follower%s: %llu records, leader CPU %.3f s, %.3f us/record%s%s%s\n", followers,
      followers == 1 ? " " : "s", static_cast<unsigned long long>(received), cpu,
      cpu * 1e6 / received,
      reading > 0 ? absl::StrFormat("; a reading follower's own CPU %.3f us/record",
                                    followers_cpu * 1e6 / received / reading)
                        .c_str()
                  : "",
      received < static_cast<uint64_t>(count) * senders ? " (some records lost)" : "",
      missed > 0
          ? absl::StrCat(" (followers that were not stopped missed ", missed, " records)").c_str()
          : "");
  if (absl::GetFlag(FLAGS_threads)) {
    std::printf("%s", DescribeThreads(threads_before, threads_after, received).c_str());
  }
  std::fflush(stdout);
  return cpu * 1e6 / received;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

// Latency from RT_LOG in a job to a follower's output.
void Latency() {
  Leader leader = StartLeader();
  testing::BackgroundProcess follower(
      {Tool(), "tail", "--follow", "--last=0", "--format=jsonl"},
      {{"TOIL_RT_LOGGING_CONTROL", leader.exports.at("TOIL_RT_LOGGING_CONTROL")}});
  absl::SleepFor(absl::Milliseconds(500));
  const int records = absl::GetFlag(FLAGS_latency_records);
  std::unique_ptr<testing::BackgroundProcess> job = StartSender(leader, records, 1000);
  std::vector<double> micros;
  std::string pending;  // a line not yet complete
  while (micros.size() < static_cast<size_t>(records)) {
    const std::string taken = follower.TakeStdout(absl::Seconds(30));
    const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
    if (taken.empty()) break;  // nothing more came within 30 s
    pending += taken;
    size_t start = 0;
    for (size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
      const absl::string_view line(pending.data() + start, end - start);
      const size_t at = line.find("\"created\":");
      double created = 0;
      if (at != absl::string_view::npos &&
          absl::SimpleAtod(line.substr(at + 10, line.find(',', at) - at - 10), &created)) {
        micros.push_back((now - created) * 1e6);
      }
    }
    pending.erase(0, start);
  }
  job->Stop(0, absl::Minutes(1));
  follower.Stop(SIGKILL);
  leader.process->Stop(SIGTERM);
  std::printf(
      "RT_LOG to a follower's output: %zu of %d records; median %.0f us, p90 %.0f us, "
      "p99 %.0f us\n",
      micros.size(), records, Percentile(micros, 0.5), Percentile(micros, 0.9),
      Percentile(micros, 0.99));
}

// The terminal view's cost: the same load, the leader writing text lines.
int CompareTerminal() {
  const std::vector<std::pair<std::string, std::vector<std::string>>> settings = {
      {"off (every line shown)", {"--repeat_window=0", "--job_line_limit=0"}},
      {"repeats folded", {"--repeat_window=5s", "--job_line_limit=0"}},
      {"folded + fair share (default)", {}}};
  std::printf("leader CPU per record at %d records/s, text to /dev/null:\n",
              absl::GetFlag(FLAGS_rate));
  std::map<std::string, std::vector<double>> cost;
  for (int round = 1; round <= absl::GetFlag(FLAGS_rounds); ++round) {
    std::printf("round %d\n", round);
    for (const auto& [name, flags] : settings) {
      std::vector<std::string> leader_flags = {"--format=text", "--output=/dev/null"};
      leader_flags.insert(leader_flags.end(), flags.begin(), flags.end());
      std::printf("  %s:", name.c_str());
      cost[name].push_back(CpuPerRecord(0, leader_flags));
    }
  }
  const double base = Percentile(cost[settings[0].first], 0.5);
  for (const auto& [name, flags] : settings) {
    const auto [low, high] = std::minmax_element(cost[name].begin(), cost[name].end());
    std::printf("%s: median %.3f us/record (%.3f-%.3f), %.2fx off\n", name.c_str(),
                Percentile(cost[name], 0.5), *low, *high, Percentile(cost[name], 0.5) / base);
  }
  return 0;
}

// The numbers of followers to compare (the first is the base).
std::vector<int> Cases() {
  std::vector<int> cases;
  for (absl::string_view n : absl::StrSplit(absl::GetFlag(FLAGS_followers), ',')) {
    int followers = 0;
    if (absl::SimpleAtoi(n, &followers) && followers >= 0) cases.push_back(followers);
  }
  if (cases.empty()) {
    std::fprintf(stderr, "control_bench: --followers=%s is not a list of numbers\n",
                 absl::GetFlag(FLAGS_followers).c_str());
    std::exit(2);
  }
  return cases;
}

int Run() {
  if (absl::GetFlag(FLAGS_terminal)) return CompareTerminal();
  std::printf(
      "leader CPU per record at %d records/s (%d senders, %.0f s each), "
      "with %s followers (where more than one, one of them stopped):\n",
      absl::GetFlag(FLAGS_rate), absl::GetFlag(FLAGS_senders), absl::GetFlag(FLAGS_seconds),
      absl::GetFlag(FLAGS_followers).c_str());
  std::map<int, std::vector<double>> cost;
  for (int round = 1; round <= absl::GetFlag(FLAGS_rounds); ++round) {
    std::printf("round %d\n", round);
    for (int followers : Cases()) cost[followers].push_back(CpuPerRecord(followers));
  }
  const int first = Cases().front();
  const double base = Percentile(cost[first], 0.5);
  for (int followers : Cases()) {
    const auto [low, high] = std::minmax_element(cost[followers].begin(), cost[followers].end());
    std::printf("%d followers: median %.3f us/record (%.3f-%.3f), %.2fx %d followers", followers,
                Percentile(cost[followers], 0.5), *low, *high,
                Percentile(cost[followers], 0.5) / base, first);
    // Each round's ratio: the two were measured one right after the other.
    std::vector<double> ratios;
    for (size_t i = 0; i < cost[followers].size(); ++i) {
      ratios.push_back(cost[followers][i] / cost[first][i]);
    }
    std::printf("; per round %.2f-%.2fx (median %.2fx)\n",
                *std::min_element(ratios.begin(), ratios.end()),
                *std::max_element(ratios.begin(), ratios.end()), Percentile(ratios, 0.5));
  }
  if (absl::GetFlag(FLAGS_latency_records) > 0) Latency();
  return 0;
}

}  // namespace
}  // namespace toil::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_mode) == "send") return toil::bench::Send();
  return toil::bench::Run();
}
