// Counts for people: "1 record", "2 records"; and the verb that goes with
// them: "1 record was", "3 records were".
#ifndef TOIL_RTLOG_BASE_PLURAL_H_
#define TOIL_RTLOG_BASE_PLURAL_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace toil::rtlog::internal {

inline std::string Counted(uint64_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

inline std::string CountedWas(uint64_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(Counted(n, one, many), n == 1 ? " was" : " were");
}

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_BASE_PLURAL_H_
