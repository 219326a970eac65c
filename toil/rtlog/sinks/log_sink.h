// LogSink: where the leader's records go. Shaped like Abseil's absl::LogSink
// (Send and Flush), so that moving to Abseil's own logging later is a small
// step; and, as Abseil's LogEntry, the record a sink is sent is a class with
// accessors: a sink author never sees how a record is stored (the wire's
// generated protobuf message).
//
//   class CountingSink : public toil::rtlog::LogSink {
//    public:
//     void Send(const toil::rtlog::LogEntry& entry) override {
//       if (entry.level() >= toil::rtlog::Level::kWarning) ++warnings;
//     }
//     int warnings = 0;
//   };
//
// Sinks are called from the leader's one processing thread (and from RT_LOG in
// the leader process), never concurrently: a sink needs no locking of its own.
#ifndef TOIL_RTLOG_SINKS_LOG_SINK_H_
#define TOIL_RTLOG_SINKS_LOG_SINK_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "toil/rtlog/base/level.h"

namespace toil::rtlog {

class LogRecord;  // the wire's record (proto/log_record.proto)
class LogEntry;

namespace internal {
struct RecordView;  // wire/record_view.h
// The stored record, for the project's own sinks (they encode or keep it
// whole); not for sink authors. Decodes a view's record on first use.
const LogRecord& RecordOf(const LogEntry& entry);
// The record as it arrived, when the leader took it without decoding it
// (nullptr otherwise): the JSON-lines sink copies its JSON.
const RecordView* ViewOf(const LogEntry& entry);
}  // namespace internal

// Whether a record was signed with the run's secret (docs/reference.md,
// "Authentication").
enum class Authenticity {
  kNotChecked,  // the leader does not require signatures (or a local record)
  kSigned,      // signed with this run's secret, and intact
  kUnsigned,    // not signed, accepted because unsigned records are allowed
};

// One received record, with what the leader worked out about it. It and
// what it refers to are valid only during the Send call.
class LogEntry {
 public:
  // Made by the leader (and by readers of JSON lines and Tail entries).
  LogEntry(const LogRecord& record, absl::string_view text_message, bool message_formatted,
           absl::string_view sender, absl::string_view raw_args = "",
           Authenticity authenticity = Authenticity::kNotChecked)
      : record_(&record),
        text_message_(text_message),
        message_formatted_(message_formatted),
        sender_(sender),
        raw_args_(raw_args),
        authenticity_(authenticity) {}
  // Made by the leader from a record it has not decoded (it has no args:
  // its message is its msg): the view's fields answer most accessors, the
  // others decode the record, once.
  LogEntry(const internal::RecordView& view, absl::string_view sender, Authenticity authenticity);

  // The message as Python's getMessage() renders it: `msg` %-formatted with
  // `args` where there are args.
  absl::string_view text_message() const { return text_message_; }
  // False when `msg` and `args` did not format (Python would have raised);
  // text_message() then shows both, marked as unformatted.
  bool message_formatted() const { return message_formatted_; }
  // The standard level for the record's levelno (25 -> INFO), and the number.
  Level level() const;
  int levelno() const;
  // When it was logged, in the sender's clock.
  absl::Time time() const;
  // Who logged it: the job (TOIL_JOB_NAME; "" when it names none), its host,
  // process and thread, and the logger's name ("toil-rt" for RT_LOG).
  absl::string_view job() const;
  absl::string_view host() const;
  int64_t pid() const;
  absl::string_view process_name() const;
  uint64_t thread_id() const;
  absl::string_view thread_name() const;
  absl::string_view logger_name() const;
  // Where: the source file (as given, and its base name), line and function.
  absl::string_view path() const;
  absl::string_view file() const;
  int line() const;
  absl::string_view function() const;
  // A traceback and a stack, where the sender had them ("" when not).
  absl::string_view exc_text() const;
  absl::string_view stack_info() const;
  // Its sending process's stream and its number in it (0 for records that
  // carry none: Python jobs').
  uint64_t stream() const;
  uint64_t seq() const;
  // Who sent it: "ip:port", or "local" for RT_LOG in the leader process.
  absl::string_view sender() const { return sender_; }
  // The record's `args` as the JSON text that arrived ("" when none): what
  // the sender meant exactly (1 vs 1.0, the order of a dict's keys).
  absl::string_view raw_args() const { return raw_args_; }
  // Whether the record was signed; sinks mark kUnsigned records.
  Authenticity authenticity() const { return authenticity_; }

 private:
  friend const LogRecord& internal::RecordOf(const LogEntry& entry);
  friend const internal::RecordView* internal::ViewOf(const LogEntry& entry);

  // The whole record (decoded from the view the first time).
  const LogRecord& record() const;

  mutable const LogRecord* record_ = nullptr;
  const internal::RecordView* view_ = nullptr;
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
