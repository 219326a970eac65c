// Dispatcher: hands each decoded record to every sink, one record at a time.
//
// Two threads feed it: the server's processing thread and, in the leader
// process, RT_LOG's local delivery. It serializes them, so sinks see one call
// at a time.
#ifndef TOIL_RTLOG_LEADER_INGEST_DISPATCHER_H_
#define TOIL_RTLOG_LEADER_INGEST_DISPATCHER_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace toil::rtlog::internal {

class Dispatcher {
 public:
  explicit Dispatcher(std::vector<LogSink*> sinks);

  // Renders the record's message and sends it to every sink. `raw_args` and
  // `raw_msg` are what RecordDecoder reports for the record, if anything.
  void Dispatch(const LogRecord& record, absl::string_view sender, absl::string_view raw_args = "",
                absl::string_view raw_msg = "",
                Authenticity authenticity = Authenticity::kNotChecked);
  // Sends a record whose message is already rendered (the leader's records
  // read without decoding: wire/record_view.h) to every sink.
  void Dispatch(const LogEntry& entry);
  // Flushes every sink.
  void Flush();

  uint64_t records() const;
  // Lines the sinks could not write, together.
  uint64_t lost_lines() const;

 private:
  mutable std::mutex mu_;
  std::vector<LogSink*> sinks_;
  std::string message_;
  uint64_t records_ = 0;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_INGEST_DISPATCHER_H_
