// The stream transport's frames; see stream_frame.h.
#include "toil/rtlog/wire/stream_frame.h"

#include "absl/strings/str_cat.h"

namespace toil::rtlog::internal {
namespace {

void AppendBigEndian(uint64_t value, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>(value >> (8 * i)));
}

void WriteBigEndian(uint64_t value, int bytes, char* out) {
  for (int i = bytes - 1; i >= 0; --i) *out++ = static_cast<char>(value >> (8 * i));
}

uint64_t ReadBigEndian(const char* p, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(p[i]);
  return value;
}

}  // namespace

void AppendFrame(FrameType type, uint64_t number, absl::string_view body, std::string* out) {
  AppendBigEndian(1 + 8 + body.size(), 4, out);
  out->push_back(static_cast<char>(type));
  AppendBigEndian(number, 8, out);
  out->append(body.data(), body.size());
}

void SetFrameHeader(FrameType type, uint64_t number, std::string* frame) {
  char* p = frame->data();
  WriteBigEndian(frame->size() - 4, 4, p);
  p[4] = static_cast<char>(type);
  WriteBigEndian(number, 8, p + 5);
}

std::string StreamIdBody(uint64_t stream) {
  std::string body;
  AppendBigEndian(stream, 8, &body);
  return body;
}

uint64_t StreamIdOf(absl::string_view body) {
  return body.size() == 8 ? ReadBigEndian(body.data(), 8) : 0;
}

void StreamFrameReader::ReleaseIfEmpty() {
  if (pending() != 0) return;
  std::string().swap(buffer_);
  consumed_ = 0;
}

absl::StatusOr<std::optional<Frame>> StreamFrameReader::Next() {
  // Forget what earlier frames used, once it is most of the buffer.
  if (consumed_ > 0 && consumed_ * 2 >= buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  const size_t available = buffer_.size() - consumed_;
  if (available < 4) return std::nullopt;
  const char* at = buffer_.data() + consumed_;
  const uint64_t length = ReadBigEndian(at, 4);
  if (length < 1 + 8 || length + 4 > kMaxFrame) {
    return absl::InvalidArgumentError(
        absl::StrCat("a frame of ", length, " bytes (a frame holds 9 to ", kMaxFrame - 4, ")"));
  }
  if (available < 5) return std::nullopt;
  const auto type = static_cast<FrameType>(static_cast<unsigned char>(at[4]));
  if (type != FrameType::kRecords && type != FrameType::kAck && type != FrameType::kEnd &&
      type != FrameType::kHello) {
    return absl::InvalidArgumentError(
        absl::StrCat("a frame of unknown type ", static_cast<int>(at[4])));
  }
  if (available < 4 + length) return std::nullopt;
  Frame frame{type, ReadBigEndian(at + 5, 8), absl::string_view(at + kFrameHeader, length - 1 - 8)};
  consumed_ += 4 + length;
  return frame;
}

}  // namespace toil::rtlog::internal
