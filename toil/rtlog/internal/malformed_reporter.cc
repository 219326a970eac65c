// Rate-limited malformed-datagram reports; see malformed_reporter.h.
#include "toil/rtlog/internal/malformed_reporter.h"

#include "absl/strings/str_cat.h"
#include "toil/rtlog/internal/line_format.h"

namespace toil::rtlog::internal {

MalformedReporter::MalformedReporter(Output output, absl::Duration interval)
    : output_(std::move(output)), interval_(interval) {}

void MalformedReporter::Report(absl::string_view sender,
                               absl::string_view reason, absl::Time now) {
  ++total_;
  auto it = senders_.find(sender);
  if (it == senders_.end()) {
    const absl::string_view key =
        senders_.size() < kMaxSenders ? sender : "(other senders)";
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

void MalformedReporter::FlushAll() {
  for (auto& [sender, state] : senders_) {
    if (state.unreported > 0) Print(sender, state);
  }
}

void MalformedReporter::Print(absl::string_view sender, Sender& state) {
  std::string line = absl::StrCat("toil-rtlog: warning: ", state.unreported,
                                  " malformed datagram",
                                  state.unreported == 1 ? "" : "s", " from ",
                                  sender, " (", state.total,
                                  " in all); latest: ");
  // The reason may quote the datagram: keep it terminal-safe and short.
  AppendTerminalSafe(state.last_reason.substr(0, 200), " ", &line);
  state.unreported = 0;
  output_(line);
}

}  // namespace toil::rtlog::internal
