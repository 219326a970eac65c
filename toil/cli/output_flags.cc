// Flags shared by several subcommands, and the output sink they select; see
// output_flags.h and command.h.
#include "toil/cli/output_flags.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "toil/cli/command.h"
#include "toil/rtlog/sinks/json_lines_sink.h"
#include "toil/rtlog/sinks/output_file.h"
#include "toil/rtlog/sinks/terminal_sink.h"

// The help texts here are what the flags mean to a leader (serve, run);
// another command that takes one says what it means to it (its FlagDoc).
ABSL_FLAG(std::string, level, "INFO",
          "The lowest level jobs send: TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL "
          "or OFF (for run, \"\" disables real-time logging).");
ABSL_FLAG(std::string, format, "text",
          "How records are shown: text (one readable line each) or jsonl (one "
          "JSON object per line: the record's fields plus message and sender).");
ABSL_FLAG(std::string, time, "local",
          "How text lines show a record's time: local (the time of day, "
          "19:40:01.123), utc (ISO 8601 date and time in UTC, "
          "2026-11-24T18:40:01.123Z) or iso (ISO 8601 with this machine's "
          "offset, 2026-11-24T19:40:01.123+01:00).");
ABSL_FLAG(absl::Duration, repeat_window, absl::Seconds(5),
          "On the terminal, lines from other jobs equal but for words with "
          "digits that come within this time of the first are folded into one "
          "line saying how often they repeated, across how many jobs and "
          "hosts (the first line's job goes on showing its own); 0 shows "
          "every line. JSON lines stay complete.");
ABSL_FLAG(int, job_line_limit, 200,
          "The most lines a second one job may show on the terminal (with a "
          "second's burst); the rest are counted in a line each second. 0: no "
          "limit. JSON lines stay complete.");
ABSL_FLAG(std::string, jsonl_file, "",
          "Also write every record, as JSON lines, to this file (a complete "
          "record beside the terminal).");
ABSL_FLAG(std::string, control, "",
          "Where the control plane listens: \"\" a Unix socket only you can open, "
          "\"off\", or a numeric HOST:PORT for TCP (calls then need the token it "
          "prints).");
ABSL_FLAG(std::string, token, "",
          "The token a leader's TCP control address requires; default "
          "$TOIL_RT_LOGGING_CONTROL_TOKEN.");
ABSL_FLAG(std::string, output, "",
          "Where records are shown: a file path, - for stdout; default stderr.");
ABSL_FLAG(bool, auth, true,
          "Make a random secret for this run and give it to jobs in "
          "TOIL_RT_LOGGING_SECRET; refuse (and count) datagrams not signed with "
          "it. --auth=false accepts anything that parses.");
ABSL_FLAG(bool, stream, true,
          "With --auth: also take C++ jobs' records over acknowledged stream "
          "connections (TCP and TLS keyed by the secret, at the UDP port's number "
          "when free), told to jobs in TOIL_RT_LOGGING_STREAM: nothing is lost, "
          "and what a leader had not acknowledged is sent again to the next one. "
          "--stream=false: datagrams only.");
ABSL_FLAG(bool, allow_unsigned, false,
          "With --auth: also accept unsigned records (Python jobs cannot sign), "
          "marked \"unsigned\". Forged and other-run datagrams are still "
          "refused.");

namespace toil::cli {

absl::StatusOr<rtlog::TimeStyle> TimeStyleFlag() {
  const std::string time = absl::GetFlag(FLAGS_time);
  if (time == "local") return rtlog::TimeStyle::kLocal;
  if (time == "utc") return rtlog::TimeStyle::kUtc;
  if (time == "iso") return rtlog::TimeStyle::kIso;
  return absl::InvalidArgumentError(
      absl::StrCat("--time=", time, " is not a time style; use local, utc or iso"));
}

namespace {

// The terminal view the flags ask for.
absl::StatusOr<rtlog::TerminalSinkOptions> TerminalOptions() {
  absl::StatusOr<rtlog::TimeStyle> time = TimeStyleFlag();
  if (!time.ok()) return time.status();
  const absl::Duration window = absl::GetFlag(FLAGS_repeat_window);
  if (window < absl::ZeroDuration() || window > absl::Hours(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--repeat_window=", absl::FormatDuration(window),
                     " is out of range: it must be 0 (show every repeat) to 1h"));
  }
  const int limit = absl::GetFlag(FLAGS_job_line_limit);
  if (absl::Status range = CheckRange("job_line_limit", limit, 0, 1000000, "0: no limit");
      !range.ok()) {
    return range;
  }
  const std::string jsonl = absl::GetFlag(FLAGS_jsonl_file);
  return rtlog::TerminalSinkOptions{.time = *time,
                                    .repeat_window = window,
                                    .job_lines_per_second = limit,
                                    .hidden_hint = jsonl.empty()
                                                       ? "each job's own log has every line"
                                                       : absl::StrCat("every line is in ", jsonl)};
}

// One sink for --format and --output.
absl::StatusOr<std::unique_ptr<rtlog::LogSink>> MakeOutputSink(const std::string& format,
                                                               const std::string& output) {
  if (format != "text" && format != "jsonl") {
    return absl::InvalidArgumentError(
        absl::StrCat("--format=", format, " is not a format; use text or jsonl"));
  }
  absl::StatusOr<rtlog::TerminalSinkOptions> terminal = TerminalOptions();
  if (!terminal.ok()) return terminal.status();
  int fd = STDERR_FILENO;
  if (output == "-") {
    fd = STDOUT_FILENO;
  } else if (!output.empty()) {
    if (format == "jsonl") {
      absl::StatusOr<std::unique_ptr<rtlog::JsonLinesSink>> sink =
          rtlog::JsonLinesSink::Open(output);
      if (!sink.ok()) return sink.status();
      return std::unique_ptr<rtlog::LogSink>(*std::move(sink));
    }
    absl::StatusOr<int> opened = rtlog::OpenOutputFile(output);
    if (!opened.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--output: ", opened.status().message()));
    }
    fd = *opened;
    // The fd lives as long as the process: the tool shows records until exit.
  }
  if (format == "jsonl") {
    return std::unique_ptr<rtlog::LogSink>(new rtlog::JsonLinesSink(fd));
  }
  return std::unique_ptr<rtlog::LogSink>(new rtlog::TerminalSink(fd, *terminal));
}

}  // namespace

std::vector<rtlog::LogSink*> OutputSinks::pointers() const {
  std::vector<rtlog::LogSink*> sinks;
  for (const auto& sink : owned) sinks.push_back(sink.get());
  return sinks;
}

absl::StatusOr<OutputSinks> MakeOutputSinks() {
  OutputSinks sinks;
  absl::StatusOr<std::unique_ptr<rtlog::LogSink>> main =
      MakeOutputSink(absl::GetFlag(FLAGS_format), absl::GetFlag(FLAGS_output));
  if (!main.ok()) return main.status();
  sinks.owned.push_back(*std::move(main));
  const std::string jsonl = absl::GetFlag(FLAGS_jsonl_file);
  if (!jsonl.empty()) {
    absl::StatusOr<std::unique_ptr<rtlog::JsonLinesSink>> file = rtlog::JsonLinesSink::Open(jsonl);
    if (!file.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--jsonl_file=", jsonl, ": ", file.status().message()));
    }
    sinks.owned.push_back(*std::move(file));
  }
  return sinks;
}

std::vector<FlagDoc> LeaderFlagDocs() {
  return {{"allow_unsigned"}, {"auth"},   {"control"}, {"format"},        {"job_line_limit"},
          {"jsonl_file"},     {"level"},  {"output"},  {"repeat_window"}, {"report"},
          {"report_file"},    {"stream"}, {"time"}};
}

std::vector<FlagDoc> ClientFlagDocs() {
  return {{"control", "The leader's control address, as it printed it: unix:/PATH or HOST:PORT.",
           "$TOIL_RT_LOGGING_CONTROL"},
          {"token"}};
}

absl::Status CheckLeaderFlags() {
  if (!absl::GetFlag(FLAGS_auth) && absl::GetFlag(FLAGS_allow_unsigned)) {
    return absl::InvalidArgumentError(
        "--allow_unsigned means nothing with --auth=false, which accepts every datagram "
        "unchecked; give one or the other");
  }
  const std::string control = absl::GetFlag(FLAGS_control);
  if (control.empty() || control == "off") return absl::OkStatus();
  const size_t colon = control.rfind(':');
  std::string host = control.substr(0, colon == std::string::npos ? 0 : colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  in6_addr address;
  const bool numeric = inet_pton(AF_INET, host.c_str(), &address) == 1 ||
                       inet_pton(AF_INET6, host.c_str(), &address) == 1;
  if (colon == std::string::npos || !numeric ||
      !absl::SimpleAtoi(control.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--control=", control,
                     " is not where a control plane can listen: give \"\" (a "
                     "private Unix socket, the default), off, or a numeric HOST:PORT such as "
                     "127.0.0.1:0"));
  }
  return absl::OkStatus();
}

absl::Status CheckRange(absl::string_view flag, int64_t value, int64_t low, int64_t high,
                        absl::string_view why) {
  if (value >= low && value <= high) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, "=", value, " is out of range: it must be ", low, " to ", high,
                   why.empty() ? "" : " (", why, why.empty() ? "" : ")"));
}

int UsageError(const char* command, const std::string& message) {
  std::fprintf(stderr, "toil-rtlog %s: error: %s\n(see toil-rtlog %s --help)\n", command,
               message.c_str(), command);
  return 2;
}

}  // namespace toil::cli
