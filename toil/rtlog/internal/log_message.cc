// One RT_LOG statement's message; see log_message.h.
#include "toil/rtlog/internal/log_message.h"

#include "toil/rtlog/internal/client.h"

namespace toil::rtlog::internal {
namespace {

MessageStream& ThreadStream() {
  thread_local MessageStream stream;
  return stream;
}

}  // namespace

void MessageStream::Reset() {
  buffer.text().clear();
  stream.clear();
  stream.flags(std::ios_base::dec | std::ios_base::skipws);
  stream.precision(6);
  stream.width(0);
  stream.fill(' ');
}

LogMessage::LogMessage(const char* file, int line, const char* function,
                       Level level)
    : file_(file),
      line_(line),
      function_(function),
      level_(level),
      time_(absl::Now()) {
  MessageStream& mine = ThreadStream();
  if (!mine.in_use) {
    stream_ = &mine;
  } else {
    own_stream_ = std::make_unique<MessageStream>();
    stream_ = own_stream_.get();
  }
  stream_->Reset();
  stream_->in_use = true;
}

LogMessage::~LogMessage() {
  Client::Instance().Log(level_, SourceLocation{file_, line_, function_},
                         stream_->buffer.text(), time_);
  stream_->in_use = false;
}

MessageBuffer::int_type MessageBuffer::overflow(int_type c) {
  if (!traits_type::eq_int_type(c, traits_type::eof())) {
    text_.push_back(traits_type::to_char_type(c));
  }
  return traits_type::not_eof(c);
}

std::streamsize MessageBuffer::xsputn(const char* data, std::streamsize size) {
  text_.append(data, static_cast<size_t>(size));
  return size;
}

}  // namespace toil::rtlog::internal
