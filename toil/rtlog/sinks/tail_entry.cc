// Tail entries, written and read; see tail_entry.h.
#include "toil/rtlog/sinks/tail_entry.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "toil/rtlog/sinks/json_lines_sink.h"

namespace toil::rtlog {
namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;

// Wire types of protobuf's encoding.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kFixed32 = 5;

constexpr uint32_t Tag(uint32_t field, uint32_t wire_type) { return field << 3 | wire_type; }

// TailResponse.entries, and TailEntry's fields (proto/log_control.proto).
constexpr uint32_t kEntriesTag = Tag(4, kLengthDelimited);
constexpr uint32_t kRecordTag = Tag(1, kLengthDelimited);
constexpr uint32_t kMessageTag = Tag(2, kLengthDelimited);
constexpr uint32_t kUnformattedTag = Tag(3, kVarint);
constexpr uint32_t kSenderTag = Tag(4, kLengthDelimited);
constexpr uint32_t kRawArgsTag = Tag(5, kLengthDelimited);
constexpr uint32_t kAuthenticityTag = Tag(6, kVarint);

size_t FieldSize(absl::string_view text) {
  return 1 + CodedOutputStream::VarintSize64(text.size()) + text.size();
}

uint8_t* WriteVarint(uint64_t value, uint8_t* at) {
  return CodedOutputStream::WriteVarint64ToArray(value, at);
}

uint8_t* WriteField(uint32_t tag, absl::string_view text, uint8_t* at) {
  at = WriteVarint(tag, at);
  at = WriteVarint(text.size(), at);
  return CodedOutputStream::WriteRawToArray(text.data(), static_cast<int>(text.size()), at);
}

v1::TailEntry::Authenticity AuthenticityOf(Authenticity authenticity) {
  switch (authenticity) {
    case Authenticity::kSigned:
      return v1::TailEntry::SIGNED;
    case Authenticity::kUnsigned:
      return v1::TailEntry::UNSIGNED;
    case Authenticity::kNotChecked:
      break;
  }
  return v1::TailEntry::NOT_CHECKED;
}

// A length-delimited field's bytes.
bool ReadBytes(CodedInputStream* input, std::string* bytes) {
  uint32_t size = 0;
  return input->ReadVarint32(&size) && input->ReadString(bytes, static_cast<int>(size));
}

// Skips a field of a wire type this reader has no use for; groups (long
// deprecated) are refused.
bool SkipField(CodedInputStream* input, uint32_t tag) {
  uint64_t value = 0;
  uint32_t size = 0;
  switch (tag & 7) {
    case kVarint:
      return input->ReadVarint64(&value);
    case kFixed64:
      return input->Skip(8);
    case kLengthDelimited:
      return input->ReadVarint32(&size) && input->Skip(static_cast<int>(size));
    case kFixed32:
      return input->Skip(4);
    default:
      return false;
  }
}

Authenticity FromProto(uint64_t authenticity) {
  if (authenticity == v1::TailEntry::SIGNED) return Authenticity::kSigned;
  if (authenticity == v1::TailEntry::UNSIGNED) return Authenticity::kUnsigned;
  return Authenticity::kNotChecked;
}

}  // namespace

void AppendTailEntry(const LogEntry& entry, std::string* out) {
  const LogRecord& record = internal::RecordOf(entry);
  const size_t record_size = record.ByteSizeLong();
  const bool message = entry.text_message() != record.msg();
  const uint32_t authenticity = AuthenticityOf(entry.authenticity());
  // Fields in number order, defaults left out, as protobuf writes them.
  const size_t size =
      1 + CodedOutputStream::VarintSize64(record_size) + record_size +
      (message ? FieldSize(entry.text_message()) : 0) + (entry.message_formatted() ? 0 : 2) +
      (entry.sender().empty() ? 0 : FieldSize(entry.sender())) +
      (entry.raw_args().empty() ? 0 : FieldSize(entry.raw_args())) + (authenticity == 0 ? 0 : 2);
  const size_t start = out->size();
  out->resize(start + 1 + CodedOutputStream::VarintSize64(size) + size);
  uint8_t* at = reinterpret_cast<uint8_t*>(out->data() + start);
  at = WriteVarint(kEntriesTag, at);
  at = WriteVarint(size, at);
  at = WriteVarint(kRecordTag, at);
  at = WriteVarint(record_size, at);
  at = record.SerializeWithCachedSizesToArray(at);
  if (message) at = WriteField(kMessageTag, entry.text_message(), at);
  if (!entry.message_formatted()) {
    at = WriteVarint(kUnformattedTag, at);
    at = WriteVarint(1, at);
  }
  if (!entry.sender().empty()) at = WriteField(kSenderTag, entry.sender(), at);
  if (!entry.raw_args().empty()) at = WriteField(kRawArgsTag, entry.raw_args(), at);
  if (authenticity != 0) {
    at = WriteVarint(kAuthenticityTag, at);
    at = WriteVarint(authenticity, at);
  }
}

LogEntry EntryOf(const v1::TailEntry& entry) {
  return LogEntry(entry.record(), entry.has_message() ? entry.message() : entry.record().msg(),
                  !entry.unformatted(), entry.sender(), entry.raw_args(),
                  FromProto(entry.authenticity()));
}

absl::StatusOr<LogEntry> TailEntryReader::Read(absl::string_view bytes) {
  has_message_ = false;
  unformatted_ = false;
  sender_.clear();
  raw_args_.clear();
  authenticity_ = 0;
  record_bytes_.clear();
  CodedInputStream input(reinterpret_cast<const uint8_t*>(bytes.data()),
                         static_cast<int>(bytes.size()));
  bool read = true;
  for (uint32_t tag; read && (tag = input.ReadTag()) != 0;) {
    switch (tag) {
      case kRecordTag:
        read = ReadBytes(&input, &record_bytes_);
        break;
      case kMessageTag:
        read = has_message_ = ReadBytes(&input, &message_);
        break;
      case kUnformattedTag: {
        uint64_t value = 0;
        read = input.ReadVarint64(&value);
        unformatted_ = value != 0;
        break;
      }
      case kSenderTag:
        read = ReadBytes(&input, &sender_);
        break;
      case kRawArgsTag:
        read = ReadBytes(&input, &raw_args_);
        break;
      case kAuthenticityTag:
        read = input.ReadVarint64(&authenticity_);
        break;
      default:  // a field of a later version: skipped
        read = SkipField(&input, tag);
    }
  }
  // ParseFromString keeps the strings' memory from the record before.
  if (!read || !input.ConsumedEntireMessage() || !record_.ParseFromString(record_bytes_)) {
    return absl::DataLossError("a tail entry that is not a toil.rtlog.v1.TailEntry");
  }
  return LogEntry(record_, has_message_ ? message_ : record_.msg(), !unformatted_, sender_,
                  raw_args_, FromProto(authenticity_));
}

absl::Status AppendJsonLines(absl::string_view entries, std::string* out) {
  CodedInputStream input(reinterpret_cast<const uint8_t*>(entries.data()),
                         static_cast<int>(entries.size()));
  TailEntryReader reader;
  std::string bytes;
  for (int n = 0; !input.ExpectAtEnd(); ++n) {
    if (input.ReadTag() != kEntriesTag || !ReadBytes(&input, &bytes)) {
      return absl::DataLossError(absl::StrCat("tail entry ", n, " has no TailEntry tag"));
    }
    absl::StatusOr<LogEntry> entry = reader.Read(bytes);
    if (!entry.ok()) {
      return absl::DataLossError(absl::StrCat("tail entry ", n, ": ", entry.status().message()));
    }
    JsonLinesSink::AppendLine(*entry, out);
  }
  return absl::OkStatus();
}

}  // namespace toil::rtlog
