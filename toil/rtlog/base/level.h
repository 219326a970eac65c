// Log levels of toil-rtlog and their Python numbers and names.
//
// The numbers are Python `logging`'s (TRACE is Toil's own 5), because they go
// on the wire as `levelno` and Python leaders filter on them. Parsing follows
// the contract for TOIL_RT_LOGGING_LEVEL: a name in any case, and OFF meaning
// CRITICAL.
//
//   absl::StatusOr<Level> level = ParseLevel("warning");   // Level::kWarning
//   LevelName(Level::kInfo)                                 // "INFO"
#ifndef TOIL_RTLOG_BASE_LEVEL_H_
#define TOIL_RTLOG_BASE_LEVEL_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace toil::rtlog {

enum class Level : int {
  kTrace = 5,
  kDebug = 10,
  kInfo = 20,
  kWarning = 30,
  kError = 40,
  kCritical = 50,
};

// "TRACE", "DEBUG", "INFO", "WARNING", "ERROR" or "CRITICAL".
absl::string_view LevelName(Level level);

// The Python level number, e.g. 20 for kInfo.
constexpr int LevelNumber(Level level) { return static_cast<int>(level); }

// Parses a level name, case-insensitively; "OFF" means kCritical and
// surrounding white space is ignored. The error names the valid choices.
absl::StatusOr<Level> ParseLevel(absl::string_view text);

// The standard level for any Python level number: the nearest one at or below
// it (25 -> kInfo), and kTrace for anything below TRACE.
Level LevelFromNumber(int levelno);

// The six standard levels in order, and a level's place among them (0 for
// kTrace ... 5 for kCritical): for counts kept per level.
inline constexpr Level kStandardLevels[] = {Level::kTrace,   Level::kDebug, Level::kInfo,
                                            Level::kWarning, Level::kError, Level::kCritical};
size_t LevelIndex(Level level);

// One-word list of the accepted names, for help texts.
absl::string_view LevelChoices();

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_BASE_LEVEL_H_
