// RecordJson: a queued record (record_queue.h) straight to the wire's JSON,
// byte for byte what EncodeRecord(BuildRecord(...)) writes with its `seq`
// and `stream` set, without the LogRecord in between. What stays the same
// from record to record (the logger's name, the level, the call site, the
// thread's name, this process, host and job) is escaped once and kept; a
// record only adds its text, its numbers and its times. The job's sender
// thread encodes every record this way (tested against the LogRecord path
// in record_json_test).
//
//   RecordJson json(context);
//   absl::string_view encoded = json.Encode(queued, text, seq, stream_id);
#ifndef TOIL_RTLOG_JOB_RECORD_JSON_H_
#define TOIL_RTLOG_JOB_RECORD_JSON_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "toil/rtlog/job/record_builder.h"
#include "toil/rtlog/job/record_queue.h"

namespace toil::rtlog::internal {

class RecordJson {
 public:
  RecordJson() = default;
  explicit RecordJson(const RecordContext& context) { Reset(context); }

  // Forgets what was kept, for records of `context` (a process after fork()
  // calls this too: its pid differs).
  void Reset(const RecordContext& context);

  // The record as one JSON object; valid until the next call.
  absl::string_view Encode(const QueuedRecord& queued, absl::string_view text, uint64_t seq,
                           uint64_t stream);

 private:
  // Text kept for a key (a pointer that outlives the process: a literal or
  // an interned string); a few slots, chosen by the key.
  struct Slot {
    const void* key = nullptr;
    bool used = false;
    std::string text;
  };
  static constexpr size_t kSlots = 16;
  using Slots = std::array<Slot, kSlots>;
  template <typename Make>
  static const std::string& Find(Slots& slots, const void* key, Make make);

  // `{"name":"...","msg":`
  const std::string& Logger(const QueuedRecord& queued);
  // `,"pathname":"...","filename":"...","module":"...","lineno":`
  const std::string& Source(const QueuedRecord& queued);
  // `,"funcName":"...","created":`
  const std::string& Function(const QueuedRecord& queued);
  // `,"threadName":"...","exc_text":"",...,"job":"..."`
  const std::string& ThreadAndRest(const QueuedRecord& queued);

  RecordContext context_;
  std::string process_;  // `,"process":N,"processName":"...","thread":`
  std::string rest_;     // `,"exc_text":"","stack_info":"","hostname":"...","job":"..."`
  std::array<std::string, 6> levels_;  // `,"levelname":"INFO","levelno":20,...` by Level
  std::string odd_level_;              // the same for a number no Level names
  // Where records are written: only grown, so that the bytes each record
  // writes are not first cleared.
  std::string buffer_;
  Slots loggers_;
  Slots sources_;
  Slots functions_;
  Slots threads_;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_RECORD_JSON_H_
