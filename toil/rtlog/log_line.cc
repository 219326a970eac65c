// One line of text as one record; see log_line.h.
#include "toil/rtlog/log_line.h"

#include "absl/time/clock.h"
#include "toil/rtlog/job/client.h"
#include "toil/rtlog/job/record_copies.h"

namespace toil::rtlog {

bool LogLine(Level level, absl::string_view text, absl::string_view logger_name) {
  return OfferLine(level, text, logger_name) != LineFate::kBelowLevel;
}

LineFate OfferLine(Level level, absl::string_view text, absl::string_view logger_name) {
  if (!internal::ShouldLog(level)) return LineFate::kBelowLevel;
  return internal::Client::Instance().Log(level, internal::SourceLocation{}, text,
                                          absl::GetCurrentTimeNanos(), logger_name)
             ? LineFate::kQueued
             : LineFate::kDropped;
}

void CountDroppedLines(uint64_t n) { internal::Client::Instance().CountDropped(n); }

void SetSendInterval(absl::Duration interval) {
  internal::Client::Instance().SetSendInterval(interval);
}

void LogForProcess(int pid, absl::string_view name) {
  internal::Client::Instance().SetLoggedProcess(pid, std::string(name));
  internal::DiscardRecordCopies();
}

}  // namespace toil::rtlog
