// LogSink: where the leader's records go. Shaped like Abseil's absl::LogSink
// (Send and Flush), so that moving to Abseil's own logging later is a small
// step.
//
//   class CountingSink : public toil::rtlog::LogSink {
//    public:
//     void Send(const toil::rtlog::LogEntry& entry) override { ++count; }
//     int count = 0;
//   };
//
// Sinks are called from the leader's one processing thread (and from RT_LOG in
// the leader process), never concurrently: a sink needs no locking of its own.
#ifndef TOIL_RTLOG_SINKS_LOG_SINK_H_
#define TOIL_RTLOG_SINKS_LOG_SINK_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/base/level.h"

namespace toil::rtlog {

// Whether a record was signed with the run's secret (see the README,
// "Authentication").
enum class Authenticity {
  kNotChecked,  // the leader does not require signatures (or a local record)
  kSigned,      // signed with this run's secret, and intact
  kUnsigned,    // not signed, accepted because unsigned records are allowed
};

// One received record, with what the leader worked out about it.
class LogEntry {
 public:
  LogEntry(const LogRecord& record, absl::string_view text_message,
           bool message_formatted, absl::string_view sender,
           absl::string_view raw_args = "",
           Authenticity authenticity = Authenticity::kNotChecked)
      : record_(record),
        text_message_(text_message),
        message_formatted_(message_formatted),
        sender_(sender),
        raw_args_(raw_args),
        authenticity_(authenticity) {}

  // The record as decoded from the wire.
  const LogRecord& record() const { return record_; }
  // The standard level for the record's levelno (25 -> INFO).
  Level level() const { return LevelFromNumber(record_.levelno()); }
  // The message as Python's getMessage() renders it: `msg` %-formatted with
  // `args` where there are args.
  absl::string_view text_message() const { return text_message_; }
  // False when `msg` and `args` did not format (Python would have raised);
  // text_message() then shows both, marked as unformatted.
  bool message_formatted() const { return message_formatted_; }
  // Who sent it: "ip:port", or "local" for RT_LOG in the leader process.
  absl::string_view sender() const { return sender_; }
  // The record's `args` as the JSON text that arrived ("" when none): what
  // the sender meant exactly (1 vs 1.0, the order of a dict's keys). The
  // leader does not also decode it into record().args().
  absl::string_view raw_args() const { return raw_args_; }
  // Whether the record was signed; sinks mark kUnsigned records.
  Authenticity authenticity() const { return authenticity_; }

 private:
  const LogRecord& record_;
  absl::string_view text_message_;
  bool message_formatted_;
  absl::string_view sender_;
  absl::string_view raw_args_;
  Authenticity authenticity_;
};

class LogSink {
 public:
  virtual ~LogSink() = default;
  // Takes one record. `entry` and what it refers to are valid only during
  // the call.
  virtual void Send(const LogEntry& entry) = 0;
  // Writes out anything buffered. Called after each batch of records, when
  // the leader stops, and on demand.
  virtual void Flush() {}
  // Lines this sink could not write (a full disk, a closed pipe), for the
  // leader's counts.
  virtual uint64_t lost_lines() const { return 0; }
};

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_SINKS_LOG_SINK_H_
