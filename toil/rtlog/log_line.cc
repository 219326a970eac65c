// One line of text as one record; see log_line.h.
#include "toil/rtlog/log_line.h"

#include "absl/time/clock.h"
#include "toil/rtlog/job/client.h"
#include "toil/rtlog/job/record_copies.h"

namespace toil::rtlog {

bool LogLine(Level level, absl::string_view text, absl::string_view logger_name) {
  if (!internal::ShouldLog(level)) return false;
  internal::Client::Instance().Log(level, internal::SourceLocation{}, text,
                                   absl::GetCurrentTimeNanos(), logger_name);
  return true;
}

void LogForProcess(int pid, absl::string_view name) {
  internal::Client::Instance().SetLoggedProcess(pid, std::string(name));
  internal::DiscardRecordCopies();
}

}  // namespace toil::rtlog
