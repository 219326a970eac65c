// The one wording of a log server's counts; see log_stats.h.
#include "toil/rtlog/log_stats.h"

#include "absl/strings/str_cat.h"

namespace toil::rtlog {

std::string DescribeLogStats(const LogStats& s) {
  std::string text = absl::StrCat(
      s.records, s.records == 1 ? " record" : " records", " received, ", s.malformed,
      " malformed, ", s.dropped, s.dropped == 1 ? " datagram" : " datagrams",
      " dropped by the kernel, ", s.lost, " lost in transit, ", s.duplicates,
      " duplicates dropped");
  if (s.signatures_checked || s.refused() > 0) {
    absl::StrAppend(&text, "; refused: ", s.unsigned_refused, " unsigned, ",
                    s.forged, " with a bad signature, ", s.other_run,
                    " from another run; ", s.unsigned_accepted,
                    " unsigned accepted");
  }
  if (s.sink_lines_lost > 0) {
    absl::StrAppend(&text, "; ", s.sink_lines_lost, " lines could not be written by the sinks");
  }
  return text;
}

}  // namespace toil::rtlog
