// Warnings about loss in transit; see loss_reporter.h.
#include "toil/rtlog/leader/ingest/loss_reporter.h"

#include "absl/strings/str_cat.h"
#include "toil/rtlog/base/plural.h"

namespace toil::rtlog::internal {
namespace {

constexpr absl::Duration kInterval = absl::Seconds(1);

}  // namespace

bool LossReporter::TakeLine(absl::Time now) {
  if (now - second_ >= kInterval) {
    second_ = now;
    lines_ = 0;
  }
  return lines_++ < kLinesPerSecond;
}

void LossReporter::Report(SequenceTracker::Stream& stream, absl::Time now, bool force) {
  if (!force && now - stream.last_report < kInterval) return;
  if (stream.lost < stream.reported_lost) stream.reported_lost = stream.lost;
  const uint64_t lost = stream.lost - stream.reported_lost;
  const uint64_t duplicates = stream.duplicates - stream.reported_duplicates;
  if (lost == 0 && duplicates == 0) return;
  stream.reported_lost = stream.lost;
  stream.reported_duplicates = stream.duplicates;
  stream.last_report = now;
  if (!TakeLine(now)) {
    held_lost_ += lost;
    held_duplicates_ += duplicates;
    ++held_streams_;
    return;
  }
  if (lost > 0) {
    diagnostics_(absl::StrCat("toil-rtlog: warning: ", Counted(lost, "record", "records"), " from ",
                              stream.label, " lost in transit (", stream.lost,
                              " in all; the sequence numbers have gaps)"));
  }
  if (duplicates > 0) {
    diagnostics_(absl::StrCat("toil-rtlog: warning: ", Counted(duplicates, "record", "records"),
                              " from ", stream.label, " dropped as duplicates (", stream.duplicates,
                              " in all; sent twice, replayed, or too late to tell)"));
  }
}

void LossReporter::Flush(absl::Time now, bool force) {
  if (held_streams_ == 0 || (!force && now - last_summary_ < kInterval)) return;
  diagnostics_(absl::StrCat(
      "toil-rtlog: warning: ", Counted(held_lost_, "record", "records"), " lost in transit and ",
      Counted(held_duplicates_, "record", "records"), " dropped as duplicates from ",
      Counted(held_streams_, "more sending process", "more sending processes"),
      " (too many to name each; `toil-rtlog senders` lists them)"));
  held_lost_ = held_duplicates_ = held_streams_ = 0;
  last_summary_ = now;
}

}  // namespace toil::rtlog::internal
