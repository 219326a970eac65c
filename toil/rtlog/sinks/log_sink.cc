// A sink's entry's accessors; see log_sink.h.
#include "toil/rtlog/sinks/log_sink.h"

#include <cmath>

#include "proto/log_record.pb.h"
#include "toil/rtlog/wire/record_view.h"

namespace toil::rtlog {

const LogRecord& internal::RecordOf(const LogEntry& entry) { return entry.record(); }
const internal::RecordView* internal::ViewOf(const LogEntry& entry) { return entry.view_; }

LogEntry::LogEntry(const internal::RecordView& view, absl::string_view sender,
                   Authenticity authenticity)
    : view_(&view),
      text_message_(view.msg),
      message_formatted_(true),
      sender_(sender),
      authenticity_(authenticity) {}

const LogRecord& LogEntry::record() const {
  if (record_ == nullptr) record_ = &view_->decode();
  return *record_;
}

Level LogEntry::level() const { return LevelFromNumber(levelno()); }
int LogEntry::levelno() const { return view_ ? view_->levelno : record_->levelno(); }
absl::Time LogEntry::time() const {
  // Whatever a sender put there: NaN is no time at all; a huge one saturates.
  const double created = view_ ? view_->created : record_->created();
  return absl::UnixEpoch() + absl::Seconds(std::isnan(created) ? 0.0 : created);
}
absl::string_view LogEntry::job() const { return view_ ? view_->job : record_->job(); }
absl::string_view LogEntry::host() const { return view_ ? view_->hostname : record_->hostname(); }
int64_t LogEntry::pid() const { return view_ ? view_->process : record_->process(); }
absl::string_view LogEntry::process_name() const { return record().process_name(); }
uint64_t LogEntry::thread_id() const { return view_ ? view_->thread : record_->thread(); }
absl::string_view LogEntry::thread_name() const { return record().thread_name(); }
absl::string_view LogEntry::logger_name() const { return view_ ? view_->name : record_->name(); }
absl::string_view LogEntry::path() const { return record().pathname(); }
absl::string_view LogEntry::file() const { return record().filename(); }
int LogEntry::line() const { return record().lineno(); }
absl::string_view LogEntry::function() const { return record().func_name(); }
absl::string_view LogEntry::exc_text() const { return record().exc_text(); }
absl::string_view LogEntry::stack_info() const { return record().stack_info(); }
uint64_t LogEntry::stream() const { return view_ ? view_->stream : record_->stream(); }
uint64_t LogEntry::seq() const { return view_ ? view_->seq : record_->seq(); }

}  // namespace toil::rtlog
