// Filtering a run's history; see history_filter.h.
#include "toil/cli/history_filter.h"

#include <fnmatch.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace toil::cli {

std::optional<absl::string_view> RawStringField(absl::string_view line, absl::string_view key) {
  const std::string start = absl::StrCat("\"", key, "\":\"");
  const size_t at = line.find(start);
  if (at == absl::string_view::npos) return std::nullopt;
  const absl::string_view rest = line.substr(at + start.size());
  const size_t end = rest.find_first_of("\"\\");
  if (end == absl::string_view::npos || rest[end] == '\\') return std::nullopt;
  return rest.substr(0, end);
}

namespace {

// The integer field `key` of a JSON line; nullopt when absent.
std::optional<int> RawIntField(absl::string_view line, absl::string_view key) {
  const std::string start = absl::StrCat("\"", key, "\":");
  const size_t at = line.find(start);
  if (at == absl::string_view::npos) return std::nullopt;
  absl::string_view rest = line.substr(at + start.size());
  rest = rest.substr(0, rest.find_first_not_of("-0123456789"));
  int value = 0;
  if (!absl::SimpleAtoi(rest, &value)) return std::nullopt;
  return value;
}

bool GlobMatches(const std::string& glob, absl::string_view text) {
  return glob.empty() || fnmatch(glob.c_str(), std::string(text).c_str(), 0) == 0;
}

}  // namespace

bool HistoryFilter::MayMatch(absl::string_view line) const {
  if (!job_glob.empty()) {
    // A record with no job (or an escaped one) is left to the parse.
    const std::optional<absl::string_view> job = RawStringField(line, "job");
    if (job && !GlobMatches(job_glob, *job)) return false;
  }
  if (!logger.empty()) {
    const std::optional<absl::string_view> name = RawStringField(line, "name");
    if (name && *name != logger) return false;
  }
  if (min_levelno > 0) {
    const std::optional<int> levelno = RawIntField(line, "levelno");
    if (levelno && *levelno < min_levelno) return false;
  }
  return true;
}

bool HistoryFilter::Matches(const rtlog::LogEntry& entry) const {
  if (entry.levelno() < min_levelno) return false;
  if (!GlobMatches(job_glob, entry.job())) return false;
  if (!host.empty() && entry.host() != host) return false;
  if (!logger.empty() && entry.logger_name() != logger) return false;
  if (entry.time() < since) return false;
  if (grep != nullptr) {
    const absl::string_view message = entry.text_message();
    if (!RE2::PartialMatch(re2::StringPiece(message.data(), message.size()), *grep)) return false;
  }
  return true;
}

absl::StatusOr<absl::Time> ParseSince(absl::string_view text, absl::Time now) {
  absl::Duration back;
  if (absl::ParseDuration(text, &back)) return now - back;
  absl::Time at;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &at, &error)) return at;
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  int hour = 0;
  int minute = 0;
  int second = 0;
  if ((parts.size() == 2 || parts.size() == 3) && absl::SimpleAtoi(parts[0], &hour) &&
      absl::SimpleAtoi(parts[1], &minute) &&
      (parts.size() == 2 || absl::SimpleAtoi(parts[2], &second)) && hour >= 0 && hour < 24 &&
      minute >= 0 && minute < 60 && second >= 0 && second < 60) {
    const absl::TimeZone local = absl::LocalTimeZone();
    const absl::CivilDay today = absl::ToCivilDay(now, local);
    return absl::FromCivil(
        absl::CivilSecond(today.year(), today.month(), today.day(), hour, minute, second), local);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--since=", text,
                   " is not a time: use a duration back from now (10m, 2h), a time of day "
                   "(12:04, 12:04:30) or an RFC 3339 time (2026-12-02T12:04:00Z)"));
}

}  // namespace toil::cli
