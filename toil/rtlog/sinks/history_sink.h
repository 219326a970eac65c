// HistorySink: every record of a run, kept in the run's log directory so
// that `toil-rtlog logs` can show them during the run or long after it.
//
// The format is JsonLinesSink's (one JSON object per line). The current
// file is <dir>/records.jsonl; when it reaches `max_file_bytes` it becomes
// records.1.jsonl (records.1 becomes records.2, and so on; the oldest beyond
// `max_files` is removed), so a history never holds more than about
// max_files x max_file_bytes. Files are written as records arrive, a batch
// at a time; nothing is compressed (JSON lines of a run compress about 10:1
// with gzip, which a person can run on a finished run's directory).
//
//   auto history = toil::rtlog::HistorySink::Open("/tmp/run-logs");
#ifndef TOIL_RTLOG_SINKS_HISTORY_SINK_H_
#define TOIL_RTLOG_SINKS_HISTORY_SINK_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace toil::rtlog {

namespace internal {
class FdWriter;
}  // namespace internal

struct HistoryOptions {
  uint64_t max_file_bytes = uint64_t{256} << 20;
  int max_files = 8;  // records.jsonl and up to 7 older ones
};

class HistorySink : public LogSink {
 public:
  // Starts a new history in `dir` (an existing one is replaced).
  static absl::StatusOr<std::unique_ptr<HistorySink>> Open(const std::string& dir,
                                                           HistoryOptions options = {});
  ~HistorySink() override;

  void Send(const LogEntry& entry) override;
  void Flush() override;
  uint64_t lost_lines() const override;

  // The history's file `index` in `dir`: 0 is records.jsonl, the newest;
  // k is records.k.jsonl.
  static std::string FileName(const std::string& dir, int index);

 private:
  HistorySink(std::string dir, HistoryOptions options);
  absl::Status OpenCurrent();
  // The current file becomes records.1.jsonl, and so on down.
  void Rotate();

  std::string dir_;
  HistoryOptions options_;
  std::unique_ptr<internal::FdWriter> writer_;
  uint64_t file_bytes_ = 0;   // in the current file
  uint64_t lost_before_ = 0;  // lines earlier files could not take
};

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_SINKS_HISTORY_SINK_H_
