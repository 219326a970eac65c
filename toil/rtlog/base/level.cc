// Level names, numbers and parsing; see level.h.
#include "toil/rtlog/base/level.h"

#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace toil::rtlog {
namespace {

struct NamedLevel {
  absl::string_view name;
  Level level;
};

constexpr NamedLevel kLevels[] = {
    {"TRACE", Level::kTrace},     {"DEBUG", Level::kDebug}, {"INFO", Level::kInfo},
    {"WARNING", Level::kWarning}, {"ERROR", Level::kError}, {"CRITICAL", Level::kCritical},
};

}  // namespace

absl::string_view LevelName(Level level) {
  for (const NamedLevel& named : kLevels) {
    if (named.level == level) return named.name;
  }
  return "UNKNOWN";
}

absl::StatusOr<Level> ParseLevel(absl::string_view text) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  for (const NamedLevel& named : kLevels) {
    if (absl::EqualsIgnoreCase(trimmed, named.name)) return named.level;
  }
  if (absl::EqualsIgnoreCase(trimmed, "OFF")) return Level::kCritical;
  // Python's logging also knows WARN and FATAL as aliases.
  if (absl::EqualsIgnoreCase(trimmed, "WARN")) return Level::kWarning;
  if (absl::EqualsIgnoreCase(trimmed, "FATAL")) return Level::kCritical;
  return absl::InvalidArgumentError(absl::StrCat("unknown log level \"", absl::CEscape(text),
                                                 "\"; expected one of ", LevelChoices(),
                                                 " (any case)"));
}

Level LevelFromNumber(int levelno) {
  Level result = Level::kTrace;
  for (const NamedLevel& named : kLevels) {
    if (levelno >= LevelNumber(named.level)) result = named.level;
  }
  return result;
}

size_t LevelIndex(Level level) {
  for (size_t i = 0; i < std::size(kStandardLevels); ++i) {
    if (kStandardLevels[i] == level) return i;
  }
  return 2;  // not reached: every Level is a standard one
}

absl::string_view LevelChoices() { return "TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL or OFF"; }

}  // namespace toil::rtlog
