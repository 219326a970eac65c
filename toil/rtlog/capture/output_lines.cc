// A program's output as lines; see output_lines.h.
#include "toil/rtlog/capture/output_lines.h"

#include <utility>

#include "toil/rtlog/wire/datagram_fit.h"

namespace toil::rtlog::capture {

OutputLines::OutputLines(Emit emit, absl::Duration progress_interval)
    : emit_(std::move(emit)), progress_interval_(progress_interval) {}

void OutputLines::Add(absl::string_view bytes, absl::Time now) {
  while (!bytes.empty()) {
    if (carriage_return_) {
      carriage_return_ = false;
      if (bytes.front() == '\n') {
        EndLine();
        bytes.remove_prefix(1);
        continue;
      }
      Rewrite(now);
    }
    const size_t stop = bytes.find_first_of("\r\n");
    Append(bytes.substr(0, stop));
    if (stop == absl::string_view::npos) break;
    if (bytes[stop] == '\n') {
      EndLine();
    } else {
      carriage_return_ = true;
    }
    bytes.remove_prefix(stop + 1);
  }
  // What a rewritten line shows after a write is one of its states.
  if (rewritten_ && !carriage_return_ && line_bytes_ > 0) Progress(now);
}

void OutputLines::Append(absl::string_view bytes) {
  if (line_.size() < kMaxLineBytes) {
    const absl::string_view kept = bytes.substr(0, kMaxLineBytes - line_.size());
    line_.append(kept.data(), kept.size());
  }
  line_bytes_ += bytes.size();
  if (!bytes.empty()) offered_ = false;
}

std::string OutputLines::Text() const {
  if (line_bytes_ <= line_.size()) return line_;
  return internal::WithCutMarker(line_, line_bytes_);
}

void OutputLines::EndLine() {
  if (line_bytes_ > 0) emit_(Text(), /*progress=*/false);
  if (held_) ++progress_skipped_;
  held_ = false;
  rewritten_ = false;
  offered_ = false;
  line_.clear();
  line_bytes_ = 0;
}

void OutputLines::Rewrite(absl::Time now) {
  if (line_bytes_ > 0) Progress(now);
  rewritten_ = true;
  offered_ = false;
  line_.clear();
  line_bytes_ = 0;
}

void OutputLines::Progress(absl::Time now) {
  if (offered_) return;
  offered_ = true;
  if (held_) ++progress_skipped_;
  held_ = true;
  held_text_ = Text();
  Tick(now);
}

void OutputLines::Tick(absl::Time now) {
  if (!held_ || now < last_progress_ + progress_interval_) return;
  held_ = false;
  last_progress_ = now;
  emit_(held_text_, /*progress=*/true);
}

absl::Time OutputLines::next_tick() const {
  return held_ ? last_progress_ + progress_interval_ : absl::InfiniteFuture();
}

void OutputLines::Finish() {
  carriage_return_ = false;
  EndLine();
}

}  // namespace toil::rtlog::capture
