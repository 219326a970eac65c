// Rate-limited reports of refused datagrams; see reject_reporter.h.
#include "toil/rtlog/leader/ingest/reject_reporter.h"

#include "absl/strings/str_cat.h"
#include "toil/rtlog/common/line_format.h"

namespace toil::rtlog::internal {

RejectReporter::RejectReporter(Output output, std::string what, std::string what_plural,
                               absl::Duration interval)
    : output_(std::move(output)),
      what_(std::move(what)),
      what_plural_(std::move(what_plural)),
      interval_(interval) {}

void RejectReporter::Report(absl::string_view sender, absl::string_view reason, absl::Time now) {
  ++total_;
  ++unreported_;
  auto it = senders_.find(sender);
  if (it == senders_.end()) {
    const absl::string_view key = senders_.size() < kMaxSenders ? sender : "(other senders)";
    it = senders_.try_emplace(key).first;
  }
  Sender& state = it->second;
  ++state.unreported;
  ++state.total;
  state.last_reason.assign(reason.data(), reason.size());
  if (now - state.last_line >= interval_) {
    state.last_line = now;
    Print(it->first, state);
  }
}

void RejectReporter::Tick(absl::Time now) {
  if (unreported_ == 0) return;
  for (auto& [sender, state] : senders_) {
    if (state.unreported > 0 && now - state.last_line >= interval_) {
      state.last_line = now;
      Print(sender, state);
    }
  }
}

void RejectReporter::FlushAll() {
  for (auto& [sender, state] : senders_) {
    if (state.unreported > 0) Print(sender, state);
  }
}

void RejectReporter::Print(absl::string_view sender, Sender& state) {
  std::string line = absl::StrCat("toil-rtlog: warning: ", state.unreported, " ",
                                  state.unreported == 1 ? what_ : what_plural_, " from ", sender,
                                  " (", state.total, " in all); latest: ");
  // The reason may quote the datagram: keep it terminal-safe and short.
  AppendTerminalField(state.last_reason.substr(0, 200), &line);
  unreported_ -= state.unreported;
  state.unreported = 0;
  output_(line);
}

}  // namespace toil::rtlog::internal
