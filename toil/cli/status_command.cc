// `toil-rtlog status` and `toil-rtlog senders`: a running leader's counts
// and settings, and who is sending to it; a table for people, or JSON for
// scripts (--json: the protobuf JSON mapping of proto/log_control.proto).
#include <cstdio>
#include <ctime>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "toil/cli/command.h"
#include "toil/cli/control_client.h"
#include "toil/rtlog/base/proto_json.h"
#include "toil/rtlog/sinks/terminal_text.h"

ABSL_FLAG(bool, json, false,
          "Print JSON (the control service's messages) instead "
          "of a table.");

namespace toil::cli {
namespace {

// The message as one line of JSON on stdout.
void PrintJson(const google::protobuf::Message& message) {
  std::fputs(rtlog::ProtoJsonLine(message).c_str(), stdout);
}

std::string Ago(double unix_seconds) {
  const absl::Duration ago =
      absl::Now() - absl::FromUnixMicros(static_cast<int64_t>(unix_seconds * 1e6));
  if (ago < absl::Seconds(1)) return "just now";
  return absl::FormatDuration(absl::Trunc(ago, absl::Seconds(1))) + " ago";
}

void PrintStatus(const rtlog::v1::Status& s, const std::string& control) {
  const rtlog::v1::Counts& c = s.counts();
  std::printf("leader     %s at %s (control: %s)\n", s.kind().c_str(), s.address().c_str(),
              control.c_str());
  std::printf("level      %s (handed to jobs that start from now on)\n", s.level().c_str());
  // FormatDuration writes a zero as "0", with no unit.
  const absl::Duration uptime = absl::Trunc(absl::Seconds(s.uptime_seconds()), absl::Seconds(1));
  std::printf("uptime     %s\n",
              uptime == absl::ZeroDuration() ? "0s" : absl::FormatDuration(uptime).c_str());
  std::printf("secret     %s\n",
              s.key_id().empty()
                  ? "none: datagrams are not checked"
                  : absl::StrCat("key id ", s.key_id(), "; unsigned records ",
                                 s.allow_unsigned() ? "accepted (marked)" : "refused")
                        .c_str());
  std::printf("viewers    %d\n", s.viewers());
  std::printf("records    %s\n", s.summary().c_str());
  std::printf("datagrams  %llu received; %llu records missed by viewers that fell behind\n",
              static_cast<unsigned long long>(c.datagrams()),
              static_cast<unsigned long long>(c.tail_missed()));
}

void PrintSenders(const rtlog::v1::ListSendersResponse& r) {
  std::printf("%-20s %-16s %8s %7s %7s %7s %7s %7s %7s %6s %5s  %s\n", "JOB", "HOST", "PID",
              "TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRIT", "LOST", "DUP", "LAST SEEN");
  for (const rtlog::v1::Sender& sender : r.senders()) {
    // Job and host are what the sender said: shown escaped, never raw.
    std::printf("%-20s %-16s %8lld", rtlog::TerminalField(sender.job()).c_str(),
                rtlog::TerminalField(sender.host()).c_str(), static_cast<long long>(sender.pid()));
    for (int i = 0; i < 6; ++i) {
      std::printf(" %7llu", static_cast<unsigned long long>(i < sender.records_by_level_size()
                                                                ? sender.records_by_level(i)
                                                                : 0));
    }
    std::printf(" %6llu %5llu  %s%s\n", static_cast<unsigned long long>(sender.lost()),
                static_cast<unsigned long long>(sender.duplicates()),
                Ago(sender.last_seen()).c_str(), sender.signed_() ? "" : " (unsigned)");
  }
  if (r.forgotten() > 0) {
    std::printf("(%llu senders not heard from lately were forgotten)\n",
                static_cast<unsigned long long>(r.forgotten()));
  }
}

// A unary call: the result printed by `print`, or one line on stderr.
template <typename Response>
int Unary(const char* command, ControlClient& client, const grpc::Status& status,
          const Response& response, const std::function<void(const Response&)>& print) {
  if (!status.ok()) {
    std::fprintf(stderr, "toil-rtlog %s: error: %s\n", command, client.Explain(status).c_str());
    return 1;
  }
  if (absl::GetFlag(FLAGS_json)) {
    PrintJson(response);
  } else {
    print(response);
  }
  return 0;
}

int RunStatus(const std::vector<std::string>& args) {
  if (!args.empty())
    return UsageError("status", absl::StrCat("unexpected argument \"", args[0], "\""));
  return ControlCommand("status", [](ControlClient& client) {
    rtlog::v1::Status response;
    const grpc::Status status =
        client.stub().GetStatus(client.Context().get(), rtlog::v1::GetStatusRequest(), &response);
    return Unary<rtlog::v1::Status>(
        "status", client, status, response,
        [&](const rtlog::v1::Status& s) { PrintStatus(s, client.target()); });
  });
}

int RunSenders(const std::vector<std::string>& args) {
  if (!args.empty())
    return UsageError("senders", absl::StrCat("unexpected argument \"", args[0], "\""));
  return ControlCommand("senders", [](ControlClient& client) {
    rtlog::v1::ListSendersResponse response;
    const grpc::Status status = client.stub().ListSenders(
        client.Context().get(), rtlog::v1::ListSendersRequest(), &response);
    return Unary<rtlog::v1::ListSendersResponse>("senders", client, status, response,
                                                 &PrintSenders);
  });
}

}  // namespace

const Command& StatusCommand() {
  static const Command* const command = [] {
    auto* c = new Command{
        "status",
        "show a running leader's counts and settings",
        "toil-rtlog status [--json] [--control ADDR] [--token T]\n\n"
        "The leader's address, level, uptime, the secret's key id (never the\n"
        "secret), open viewers, and every count of its summary.",
        {{"json", "Print the control service's Status message as one line of JSON.", ""}},
        &RunStatus};
    for (FlagDoc& doc : ClientFlagDocs()) c->flags.push_back(std::move(doc));
    return c;
  }();
  return *command;
}

const Command& SendersCommand() {
  static const Command* const command = [] {
    auto* c = new Command{
        "senders",
        "show which jobs are sending to a running leader",
        "toil-rtlog senders [--json] [--control ADDR] [--token T]\n\n"
        "One row per sending process: job, host, pid, records by level, lost,\n"
        "duplicates, when last heard from, and whether it signs.",
        {{"json", "Print the control service's ListSendersResponse as one line of JSON.", ""}},
        &RunSenders};
    for (FlagDoc& doc : ClientFlagDocs()) c->flags.push_back(std::move(doc));
    return c;
  }();
  return *command;
}

}  // namespace toil::cli
