// The one wording of a log server's counts; see log_stats.h.
#include "toil/rtlog/base/log_stats.h"

#include "absl/strings/str_cat.h"
#include "toil/rtlog/base/plural.h"

namespace toil::rtlog {

std::string DescribeLogStats(const LogStats& s) {
  using internal::Counted;
  std::string text = absl::StrCat(
      Counted(s.records, "record", "records"), " received, ", s.malformed, " malformed, ",
      Counted(s.dropped, "datagram", "datagrams"), " dropped by the kernel, ", s.lost,
      " lost in transit, ", Counted(s.duplicates, "duplicate", "duplicates"), " dropped");
  if (s.signatures_checked || s.refused() > 0) {
    absl::StrAppend(&text, "; refused: ", s.unsigned_refused, " unsigned, ", s.forged,
                    " with a bad signature, ", s.other_run, " from another run; ",
                    s.unsigned_accepted, " unsigned accepted");
  }
  if (s.stream_connections > 0 || s.stream_refused > 0) {
    absl::StrAppend(&text, "; ",
                    Counted(s.stream_connections, "stream connection", "stream connections"), " (",
                    s.stream_refused, " refused");
    if (s.stream_cut_short > 0) absl::StrAppend(&text, ", ", s.stream_cut_short, " cut short");
    text.push_back(')');
  }
  if (s.sink_lines_lost > 0) {
    absl::StrAppend(&text, "; ", internal::CountedWas(s.sink_lines_lost, "line", "lines"),
                    " not written by the sinks");
  }
  return text;
}

}  // namespace toil::rtlog
