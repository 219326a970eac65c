// LogMessage: the short-lived object behind one RT_LOG statement. It collects
// what is streamed into it and, when the statement ends, hands the text with
// its source location and time to the job's client.
//
// Its state is opaque here (LogMessageData, in log_message.cc), so that every
// job source that includes rt_log.h sees only <ostream> and the level gate.
#ifndef TOIL_RTLOG_JOB_LOG_MESSAGE_H_
#define TOIL_RTLOG_JOB_LOG_MESSAGE_H_

#include <cstdint>
#include <ostream>

#include "toil/rtlog/base/level.h"

namespace toil::rtlog::internal {

// The stream and text of one statement: the thread's own, reused from one
// statement to the next (building a std::ostream costs more than the rest of
// a log call), or a fresh one for an RT_LOG evaluated while the thread's is
// being streamed (inside an operator<<).
struct LogMessageData;

// Makes `Voidify() & message.stream() << a << b` a void expression, for the
// ?: of RT_LOG_IF.
struct Voidify {
  void operator&(const std::ostream&) const {}
};

class LogMessage {
 public:
  LogMessage(const char* file, int line, const char* function, Level level);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;

  std::ostream& stream() { return *stream_; }

 private:
  const char* file_;
  int line_;
  const char* function_;
  Level level_;
  int64_t time_ns_;  // when the statement began, since the Unix epoch
  LogMessageData* data_;
  std::ostream* stream_;  // data_'s
  bool owns_data_;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_JOB_LOG_MESSAGE_H_
