// `toil-rtlog tail`: a running leader's records in another terminal, as the
// leader's own sinks show them, optionally following new ones, filtered.
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "re2/re2.h"
#include "toil/cli/command.h"
#include "toil/cli/control_client.h"
#include "toil/cli/output_flags.h"
#include "toil/cli/viewer_output.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/sinks/json_line.h"
#include "toil/rtlog/sinks/json_lines_sink.h"
#include "toil/rtlog/sinks/tail_entry.h"
#include "toil/rtlog/sinks/terminal_sink.h"

ABSL_FLAG(int, last, 10, "First show up to this many of the records the leader kept.");

namespace toil::cli {
namespace {

// While a follow waits for records, ends it as soon as its reader goes
// away, rather than at the next record (which may never come).
class ReaderWatch {
 public:
  explicit ReaderWatch(grpc::ClientContext* context) {
    struct stat info;
    if (fstat(STDOUT_FILENO, &info) != 0 || !(S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode))) {
      return;
    }
    thread_ = std::thread([this, context] {
      while (!done_.load()) {
        pollfd out = {STDOUT_FILENO, 0, 0};
        if (poll(&out, 1, 100) == 1 && (out.revents & (POLLERR | POLLHUP)) != 0) {
          context->TryCancel();
          return;
        }
      }
    });
  }
  ~ReaderWatch() {
    done_.store(true);
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// Writes the response's entries to stdout as the leader's sinks would: as
// terminal lines, or as JSON lines. False when stdout could not take them.
bool ShowEntries(const rtlog::v1::TailResponse& response, bool text, rtlog::TailEntryReader& reader,
                 rtlog::TerminalSink& terminal, std::string& lines) {
  lines.clear();
  for (const std::string& bytes : response.entries()) {
    absl::StatusOr<rtlog::LogEntry> entry = reader.Read(bytes);
    if (!entry.ok()) {
      std::fprintf(stderr, "toil-rtlog tail: warning: %s\n",
                   std::string(entry.status().message()).c_str());
    } else if (text) {
      terminal.Send(*entry);
    } else {
      rtlog::JsonLinesSink::AppendLine(*entry, &lines);
    }
  }
  if (text) {
    terminal.Flush();
    return terminal.lost_lines() == 0;
  }
  return WriteOut(lines);
}

// Writes each JSON line of `jsonl` (from a leader that sends its records as
// JSON lines) to stdout as it is, or as a terminal line. False when stdout
// could not take them.
bool ShowJsonLines(const std::string& jsonl, bool text, rtlog::JsonLineReader& reader,
                   rtlog::TerminalSink& terminal) {
  if (jsonl.empty()) return true;
  if (!text) return WriteOut(jsonl);
  for (absl::string_view line : absl::StrSplit(jsonl, '\n', absl::SkipEmpty())) {
    absl::StatusOr<rtlog::ReadLine> read = reader.Read(line);
    if (read.ok()) {
      terminal.Send(read->entry());
    } else {
      std::fprintf(stderr, "toil-rtlog tail: warning: a record that does not read back: %s\n",
                   std::string(read.status().message()).c_str());
    }
  }
  terminal.Flush();
  return terminal.lost_lines() == 0;
}

int RunTail(const std::vector<std::string>& args) {
  if (!args.empty()) {
    return UsageError("tail", absl::StrCat("unexpected argument \"", args[0], "\""));
  }
  const absl::StatusOr<bool> text = TextFormatFlag();
  if (!text.ok()) return UsageError("tail", std::string(text.status().message()));
  absl::StatusOr<rtlog::TimeStyle> time = TimeStyleFlag();
  if (!time.ok()) return UsageError("tail", std::string(time.status().message()));
  if (absl::Status range = CheckRange("last", absl::GetFlag(FLAGS_last), 0, 10000000);
      !range.ok()) {
    return UsageError("tail", std::string(range.message()));
  }
  // Checked here, before connecting (the leader checks them too).
  if (FlagGiven("level")) {
    absl::StatusOr<rtlog::Level> level = rtlog::ParseLevel(absl::GetFlag(FLAGS_level));
    if (!level.ok()) return UsageError("tail", std::string(level.status().message()));
  }
  if (absl::StatusOr<std::unique_ptr<RE2>> grep = GrepFlag(); !grep.ok()) {
    return UsageError("tail", std::string(grep.status().message()));
  }
  rtlog::v1::TailRequest request;
  request.set_follow(absl::GetFlag(FLAGS_follow));
  request.set_last(static_cast<uint32_t>(absl::GetFlag(FLAGS_last)));
  // --level's default is for serve and run; tail shows every level unless asked.
  if (FlagGiven("level")) request.set_min_level(absl::GetFlag(FLAGS_level));
  request.set_job(absl::GetFlag(FLAGS_job));
  request.set_host(absl::GetFlag(FLAGS_host));
  request.set_grep(absl::GetFlag(FLAGS_grep));
  // --name's default is for send; tail shows every logger unless asked.
  if (FlagGiven("name")) request.set_logger(absl::GetFlag(FLAGS_name));
  // A third of the bytes of JSON lines, for the leader to send and for this
  // viewer to read; printed with the leader's own sink code.
  request.set_form(rtlog::v1::ENTRIES);
  signal(SIGPIPE, SIG_IGN);
  return ControlCommand("tail", [&](ControlClient& client) {
    std::unique_ptr<grpc::ClientContext> context =
        client.Context(request.follow() ? absl::InfiniteDuration() : absl::Minutes(1));
    std::unique_ptr<grpc::ClientReader<rtlog::v1::TailResponse>> reader =
        client.stub().Tail(context.get(), request);
    rtlog::JsonLineReader lines;
    // A viewer shows every record it asked for: no folding, no limit.
    rtlog::TerminalSink terminal(STDOUT_FILENO, {.time = *time,
                                                 .repeat_window = absl::ZeroDuration(),
                                                 .job_lines_per_second = 0,
                                                 .report_write_errors = false});
    // A reader that goes away (`| head`, `| grep -m1`) ends tail quietly,
    // as it ends `tail -f`.
    const ReaderWatch watch(context.get());
    rtlog::v1::TailResponse response;
    rtlog::TailEntryReader entries;
    std::string rendered;  // JSON lines made from entries, reused
    while (reader->Read(&response)) {
      if (response.missed() > 0) {
        std::fprintf(stderr,
                     "toil-rtlog tail: %llu records missed: this viewer fell behind, and "
                     "the leader did not wait for it\n",
                     static_cast<unsigned long long>(response.missed()));
      }
      const bool shown = ShowEntries(response, *text, entries, terminal, rendered) &&
                         ShowJsonLines(response.jsonl(), *text, lines, terminal);
      if (!shown) {
        const int error = errno;
        context->TryCancel();
        reader->Finish();
        if (StdoutGone() || error == EPIPE) return 0;
        std::fprintf(stderr, "toil-rtlog tail: error: cannot write to stdout: %s\n",
                     std::strerror(error));
        return 1;
      }
    }
    const grpc::Status status = reader->Finish();
    if (status.error_code() == grpc::StatusCode::CANCELLED && StdoutGone()) return 0;
    if (!status.ok()) {
      std::fprintf(stderr, "toil-rtlog tail: error: %s\n", client.Explain(status).c_str());
      return status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? 2 : 1;
    }
    return 0;
  });
}

}  // namespace

const Command& TailCommand() {
  static const Command* const command = [] {
    auto* c = new Command{
        "tail",
        "show a running leader's records, from another terminal",
        "toil-rtlog tail [--follow] [--last N] [--level LEVEL] [--job GLOB] [--host HOST]\n"
        "                [--name NAME] [--grep RE] [--format text|jsonl]\n"
        "                [--time local|utc|iso]\n"
        "                [--control ADDR] [--token T]\n\n"
        "Prints the leader's last records (10 by default), and with --follow the new\n"
        "ones as they arrive, as the leader's own sinks show them. Finds the leader\n"
        "through --control or TOIL_RT_LOGGING_CONTROL. Ends quietly when its reader\n"
        "goes (`tail --follow | grep -m1 x`).",
        {{"follow"},
         {"last"},
         {"job"},
         {"host"},
         {"name",
          "Only records of this logger name: stdout or stderr for the lines jobs "
          "printed, toil-rt for RT_LOG's.",
          "all"},
         {"grep"},
         {"level", "Only records at this level or above.", "all levels"},
         {"format",
          "How records are printed: text (the leader's terminal lines) or jsonl "
          "(its JSON lines).",
          ""},
         {"time",
          "How text lines show a record's time: local (19:40:01.123), utc "
          "(2026-11-24T18:40:01.123Z) or iso (with this machine's offset).",
          ""}},
        &RunTail};
    for (FlagDoc& doc : ClientFlagDocs()) c->flags.push_back(std::move(doc));
    return c;
  }();
  return *command;
}

}  // namespace toil::cli
