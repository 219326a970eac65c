// JsonLinesSink: one JSON object per line, for jq and other tools.
//
// Each line holds the record's wire fields (levelno kept as sent, even when it
// is not a standard level; the 64-bit thread, seq and stream as decimal
// strings, so that tools reading numbers as doubles keep them exact) plus
// "message" (the fully formatted text),
// "sender" (ip:port), "unformatted": true when msg and args did not format,
// and, when the leader requires signatures, "signed": true or false.
//
//   auto sink = toil::rtlog::JsonLinesSink::Open("run.jsonl");
#ifndef TOIL_RTLOG_SINKS_JSON_LINES_SINK_H_
#define TOIL_RTLOG_SINKS_JSON_LINES_SINK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace toil::rtlog {

namespace internal {
class FdWriter;
}  // namespace internal

class JsonLinesSink : public LogSink {
 public:
  // Writes to `fd`, which the sink does not close.
  explicit JsonLinesSink(int fd);
  ~JsonLinesSink() override;
  // Creates (or truncates) the file at `path`.
  static absl::StatusOr<std::unique_ptr<JsonLinesSink>> Open(const std::string& path);

  void Send(const LogEntry& entry) override;
  void Flush() override;

  // Appends the line this sink writes for `entry`, '\n' included (for other
  // consumers of the same format: the control plane's Tail).
  static void AppendLine(const LogEntry& entry, std::string* line);

  // Bytes, and lines, that could not be written (a full disk, a closed pipe).
  uint64_t lost_bytes() const;
  uint64_t lost_lines() const override;

 private:
  JsonLinesSink(int fd, bool owns_fd, std::string what);
  std::unique_ptr<internal::FdWriter> writer_;
};

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_SINKS_JSON_LINES_SINK_H_
