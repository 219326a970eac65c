// HistoryFilter: which records of a run's history `toil-rtlog logs` shows
// (--job, --host, --level, --name, --grep, --since). A quick look at a
// line's raw JSON comes first: most lines that --job, --level or --name
// leave out are never parsed.
#ifndef TOIL_CLI_HISTORY_FILTER_H_
#define TOIL_CLI_HISTORY_FILTER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "re2/re2.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace toil::cli {

struct HistoryFilter {
  std::string job_glob;       // fnmatch(3) pattern; "": every job
  std::string host;           // "": every host
  std::string logger;         // logger name, e.g. "stdout"; "": all
  int min_levelno = 0;        // Python's levelno
  std::unique_ptr<RE2> grep;  // on the message; null: all
  absl::Time since = absl::InfinitePast();

  // False when the JSON line certainly does not match (it may when true).
  bool MayMatch(absl::string_view line) const;
  bool Matches(const rtlog::LogEntry& entry) const;
};

// A string field of a JSON line as JsonLinesSink writes it, read without
// parsing: nullopt when absent or escaped (then only a parse can say).
std::optional<absl::string_view> RawStringField(absl::string_view line, absl::string_view key);

// --since: a duration back from `now` ("10m"), a time of day today
// ("12:04", "12:04:30", local), or an RFC 3339 time.
absl::StatusOr<absl::Time> ParseSince(absl::string_view text, absl::Time now);

}  // namespace toil::cli

#endif  // TOIL_CLI_HISTORY_FILTER_H_
