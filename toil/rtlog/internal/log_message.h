// LogMessage: the short-lived object behind one RT_LOG statement. It collects
// what is streamed into it and, when the statement ends, hands the text with
// its source location and time to the Client.
//
// The stream is the thread's own, reused from one statement to the next
// (building a std::ostream costs more than the rest of a log call); an
// RT_LOG evaluated while another is being streamed (inside an operator<<)
// gets a fresh one.
#ifndef TOIL_RTLOG_INTERNAL_LOG_MESSAGE_H_
#define TOIL_RTLOG_INTERNAL_LOG_MESSAGE_H_

#include <memory>
#include <ostream>
#include <streambuf>
#include <string>

#include "absl/time/time.h"
#include "toil/rtlog/level.h"

namespace toil::rtlog::internal {

// Appends everything written to the stream to a string.
class MessageBuffer : public std::streambuf {
 public:
  std::string& text() { return text_; }

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* data, std::streamsize size) override;

 private:
  std::string text_;
};

// A stream over a MessageBuffer.
struct MessageStream {
  MessageStream() : stream(&buffer) {}
  // Back to a fresh state: empty, default flags, precision and fill.
  void Reset();
  MessageBuffer buffer;
  std::ostream stream;
  bool in_use = false;
};

class LogMessage {
 public:
  LogMessage(const char* file, int line, const char* function, Level level);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;

  std::ostream& stream() { return stream_->stream; }

 private:
  const char* file_;
  int line_;
  const char* function_;
  Level level_;
  absl::Time time_;
  MessageStream* stream_;
  std::unique_ptr<MessageStream> own_stream_;  // when the thread's is busy
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_INTERNAL_LOG_MESSAGE_H_
