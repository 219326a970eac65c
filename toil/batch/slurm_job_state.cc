// Reading Slurm's job states and endings; see slurm_job_state.h.
#include "toil/batch/slurm_job_state.h"

#include <csignal>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace toil::batch {
namespace {

// Why a job ended, for the states that are not just its exit status (a job
// that FAILED with a status or a signal needs none).
std::string ReasonFor(absl::string_view state, absl::string_view slurm_reason, bool has_status) {
  std::string reason;
  if (state == "CANCELLED") reason = "cancelled";
  if (state == "TIMEOUT") reason = "timed out (it ran past its time limit)";
  if (state == "NODE_FAIL") reason = "node failure";
  if (state == "OUT_OF_MEMORY") reason = "out of memory";
  if (state == "PREEMPTED") reason = "preempted";
  if (state == "BOOT_FAIL") reason = "its node failed to boot";
  if (state == "DEADLINE") reason = "missed its deadline";
  if (state == "FAILED" && !has_status && !slurm_reason.empty() && slurm_reason != "None") {
    reason = absl::StrCat("failed: ", slurm_reason);
  }
  if (!reason.empty()) absl::StrAppend(&reason, " (Slurm: ", state, ")");
  return reason;
}

std::optional<absl::Time> SlurmTime(absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%dT%H:%M:%S", text, absl::LocalTimeZone(), &time, &error)) {
    return std::nullopt;
  }
  return time;
}

}  // namespace

bool IsFinalSlurmState(absl::string_view state) {
  // "CANCELLED by 1000" in some outputs: the first word decides.
  const absl::string_view word = state.substr(0, state.find(' '));
  for (const char* final_state :
       {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED",
        "BOOT_FAIL", "DEADLINE", "REVOKED"}) {
    if (word == final_state) return true;
  }
  return false;
}

std::map<std::string, std::string> ParseSqueueStates(absl::string_view text) {
  std::map<std::string, std::string> states;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, '|');
    if (parts.size() < 2) continue;
    const absl::string_view id = absl::StripAsciiWhitespace(parts[0]);
    const absl::string_view state = absl::StripAsciiWhitespace(parts[1]);
    if (id.empty() || state.empty()) continue;
    states[std::string(id)] = std::string(state);
  }
  return states;
}

std::string SlurmField(absl::string_view line, absl::string_view key) {
  for (absl::string_view field :
       absl::StrSplit(line, absl::ByAnyChar(" \t\n"), absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&field, key) && absl::ConsumePrefix(&field, "=")) {
      return std::string(field);
    }
  }
  return "";
}

std::optional<SlurmJobEnd> ParseScontrolJob(absl::string_view line) {
  SlurmJobEnd end;
  end.state = SlurmField(line, "JobState");
  if (end.state.empty()) return std::nullopt;
  // ExitCode=E:S: the exit status, or the signal that ended it.
  const std::string code = SlurmField(line, "ExitCode");
  int status = 0;
  int signal = 0;
  const size_t colon = code.find(':');
  if (colon != std::string::npos) {
    (void)absl::SimpleAtoi(code.substr(0, colon), &status);
    (void)absl::SimpleAtoi(code.substr(colon + 1), &signal);
  }
  end.exit_code = signal != 0 ? 128 + signal : status;
  end.signal = signal;
  end.reason = ReasonFor(end.state, SlurmField(line, "Reason"), end.exit_code != 0);
  // A job that did not complete says so even when Slurm has no code for it.
  if (end.exit_code == 0 && end.state != "COMPLETED") end.exit_code = 1;
  end.host = SlurmField(line, "BatchHost");
  if (end.host.empty() || end.host == "(null)") end.host = SlurmField(line, "NodeList");
  if (end.host == "(null)") end.host.clear();
  const std::optional<absl::Time> start = SlurmTime(SlurmField(line, "StartTime"));
  const std::optional<absl::Time> finish = SlurmTime(SlurmField(line, "EndTime"));
  if (start && finish && *finish >= *start) end.wall_time = *finish - *start;
  return end;
}

std::string ParseSlurmctldHost(absl::string_view config) {
  for (absl::string_view line : absl::StrSplit(config, '\n')) {
    if (!absl::StartsWith(line, "SlurmctldHost[0]")) continue;
    absl::string_view value = line.substr(line.find('=') + 1);
    value = absl::StripAsciiWhitespace(value);
    const size_t open = value.find('(');
    if (open != absl::string_view::npos && absl::EndsWith(value, ")")) {
      return std::string(value.substr(open + 1, value.size() - open - 2));
    }
    return std::string(value);
  }
  return "";
}

}  // namespace toil::batch
