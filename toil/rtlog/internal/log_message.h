// LogMessage: the short-lived object behind one RT_LOG statement. It collects
// what is streamed into it and, when the statement ends, hands the text with
// its source location and time to the Client.
#ifndef TOIL_RTLOG_INTERNAL_LOG_MESSAGE_H_
#define TOIL_RTLOG_INTERNAL_LOG_MESSAGE_H_

#include <ostream>
#include <streambuf>
#include <string>

#include "absl/time/time.h"
#include "toil/rtlog/level.h"

namespace toil::rtlog::internal {

class LogMessage {
 public:
  LogMessage(const char* file, int line, const char* function, Level level);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;

  std::ostream& stream() { return stream_; }

 private:
  // Appends everything written to the stream to a string.
  class Buffer : public std::streambuf {
   public:
    std::string& text() { return text_; }

   protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* data, std::streamsize size) override;

   private:
    std::string text_;
  };

  const char* file_;
  int line_;
  const char* function_;
  Level level_;
  absl::Time time_;
  Buffer buffer_;
  std::ostream stream_;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_INTERNAL_LOG_MESSAGE_H_
