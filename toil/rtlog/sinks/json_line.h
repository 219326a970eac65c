// Reading back a JSON line, as JsonLinesSink writes them (and as the control
// plane's Tail sends them): the record, its formatted message, its sender
// and whether it was signed, ready to hand to another sink.
//
//   JsonLineReader reader;
//   absl::StatusOr<ReadLine> line = reader.Read(text);
//   if (line.ok()) terminal.Send(line->entry());
#ifndef TOIL_RTLOG_SINKS_JSON_LINE_H_
#define TOIL_RTLOG_SINKS_JSON_LINE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace toil::rtlog {

// One line read back; entry() refers into it.
struct ReadLine {
  LogRecord record;
  std::string message;
  bool formatted = true;
  std::string sender;
  std::string raw_args;
  Authenticity authenticity = Authenticity::kNotChecked;

  LogEntry entry() const {
    return LogEntry(record, message, formatted, sender, raw_args, authenticity);
  }
};

class JsonLineReader {
 public:
  JsonLineReader();
  ~JsonLineReader();
  // Parses one line (without or with its '\n'); the error says what is wrong.
  absl::StatusOr<ReadLine> Read(absl::string_view line);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_SINKS_JSON_LINE_H_
