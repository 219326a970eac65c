// A sink's entry's accessors; see log_sink.h.
#include "toil/rtlog/sinks/log_sink.h"

#include <cmath>

#include "proto/log_record.pb.h"

namespace toil::rtlog {

const LogRecord& internal::RecordOf(const LogEntry& entry) { return entry.record_; }

Level LogEntry::level() const { return LevelFromNumber(record_.levelno()); }
int LogEntry::levelno() const { return record_.levelno(); }
absl::Time LogEntry::time() const {
  // Whatever a sender put there: NaN is no time at all; a huge one saturates.
  const double created = record_.created();
  return absl::UnixEpoch() + absl::Seconds(std::isnan(created) ? 0.0 : created);
}
absl::string_view LogEntry::job() const { return record_.job(); }
absl::string_view LogEntry::host() const { return record_.hostname(); }
int64_t LogEntry::pid() const { return record_.process(); }
absl::string_view LogEntry::process_name() const { return record_.process_name(); }
uint64_t LogEntry::thread_id() const { return record_.thread(); }
absl::string_view LogEntry::thread_name() const { return record_.thread_name(); }
absl::string_view LogEntry::logger_name() const { return record_.name(); }
absl::string_view LogEntry::path() const { return record_.pathname(); }
absl::string_view LogEntry::file() const { return record_.filename(); }
int LogEntry::line() const { return record_.lineno(); }
absl::string_view LogEntry::function() const { return record_.func_name(); }
absl::string_view LogEntry::exc_text() const { return record_.exc_text(); }
absl::string_view LogEntry::stack_info() const { return record_.stack_info(); }
uint64_t LogEntry::stream() const { return record_.stream(); }
uint64_t LogEntry::seq() const { return record_.seq(); }

}  // namespace toil::rtlog
