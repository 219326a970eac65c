// One RT_LOG statement's message; see log_message.h.
#include "toil/rtlog/job/log_message.h"

#include <streambuf>
#include <string>

#include "absl/time/clock.h"
#include "toil/rtlog/job/client.h"

namespace toil::rtlog::internal {
namespace {

// Appends everything written to the stream to a string.
class MessageBuffer : public std::streambuf {
 public:
  std::string& text() { return text_; }

 protected:
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      text_.push_back(traits_type::to_char_type(c));
    }
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    text_.append(data, static_cast<size_t>(size));
    return size;
  }

 private:
  std::string text_;
};

}  // namespace

struct LogMessageData {
  LogMessageData() : stream(&buffer) {}
  // Back to a fresh state: empty, default flags, precision and fill.
  void Reset() {
    buffer.text().clear();
    stream.clear();
    stream.flags(std::ios_base::dec | std::ios_base::skipws);
    stream.precision(6);
    stream.width(0);
    stream.fill(' ');
  }
  MessageBuffer buffer;
  std::ostream stream;
  bool in_use = false;
};

namespace {

LogMessageData& ThreadData() {
  thread_local LogMessageData data;
  return data;
}

}  // namespace

LogMessage::LogMessage(const char* file, int line, const char* function, Level level)
    : file_(file),
      line_(line),
      function_(function),
      level_(level),
      time_ns_(absl::GetCurrentTimeNanos()) {
  LogMessageData& mine = ThreadData();
  owns_data_ = mine.in_use;
  data_ = owns_data_ ? new LogMessageData() : &mine;
  data_->Reset();
  data_->in_use = true;
  stream_ = &data_->stream;
}

LogMessage::~LogMessage() {
  Client::Instance().Log(level_, SourceLocation{file_, line_, function_}, data_->buffer.text(),
                         time_ns_);
  data_->in_use = false;
  if (owns_data_) delete data_;
}

}  // namespace toil::rtlog::internal
