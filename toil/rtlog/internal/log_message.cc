// One RT_LOG statement's message; see log_message.h.
#include "toil/rtlog/internal/log_message.h"

#include "toil/rtlog/internal/client.h"

namespace toil::rtlog::internal {

LogMessage::LogMessage(const char* file, int line, const char* function,
                       Level level)
    : file_(file),
      line_(line),
      function_(function),
      level_(level),
      time_(absl::Now()),
      stream_(&buffer_) {}

LogMessage::~LogMessage() {
  Client::Instance().Log(level_, SourceLocation{file_, line_, function_},
                         buffer_.text(), time_);
}

LogMessage::Buffer::int_type LogMessage::Buffer::overflow(int_type c) {
  if (!traits_type::eq_int_type(c, traits_type::eof())) {
    text_.push_back(traits_type::to_char_type(c));
  }
  return traits_type::not_eof(c);
}

std::streamsize LogMessage::Buffer::xsputn(const char* data,
                                           std::streamsize size) {
  text_.append(data, static_cast<size_t>(size));
  return size;
}

}  // namespace toil::rtlog::internal
