// Record dispatch to sinks; see dispatcher.h.
#include "toil/rtlog/leader/ingest/dispatcher.h"

#include "toil/rtlog/leader/format/python_format.h"

namespace toil::rtlog::internal {

Dispatcher::Dispatcher(std::vector<LogSink*> sinks) : sinks_(std::move(sinks)) {}

void Dispatcher::Dispatch(const LogRecord& record, absl::string_view sender,
                          absl::string_view raw_args, absl::string_view raw_msg,
                          Authenticity authenticity) {
  std::lock_guard<std::mutex> lock(mu_);
  const bool formatted = RenderMessage(record, raw_args, raw_msg, &message_);
  const LogEntry entry(record, message_, formatted, sender, raw_args, authenticity);
  for (LogSink* sink : sinks_) sink->Send(entry);
  ++records_;
}

void Dispatcher::Dispatch(const LogEntry& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  for (LogSink* sink : sinks_) sink->Send(entry);
  ++records_;
}

void Dispatcher::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  for (LogSink* sink : sinks_) sink->Flush();
}

uint64_t Dispatcher::lost_lines() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t lost = 0;
  for (const LogSink* sink : sinks_) lost += sink->lost_lines();
  return lost;
}

uint64_t Dispatcher::records() const {
  std::lock_guard<std::mutex> lock(mu_);
  return records_;
}

}  // namespace toil::rtlog::internal
