// A Tail response around the ring's own entries; see tail_message.h.
#include "toil/rtlog/leader/control/tail_message.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/io/coded_stream.h"
#include "grpcpp/support/slice.h"
#include "toil/rtlog/sinks/tail_entry.h"

namespace toil::rtlog::internal {
namespace {

// TailResponse's fields (proto/log_control.proto) as protobuf's wire format
// tags them: field number << 3 | wire type (2: length-delimited, 0: varint).
// Its entries (field 4) come tagged from the ring.
constexpr uint8_t kJsonlTag = 1 << 3 | 2;
constexpr uint8_t kRecordsTag = 2 << 3 | 0;
constexpr uint8_t kMissedTag = 3 << 3 | 0;

// A tag and a varint (protobuf's encoding of it): at most 11 bytes.
void AppendField(uint8_t tag, uint64_t value, std::vector<uint8_t>* out) {
  uint8_t field[11] = {tag};  // a 64-bit varint takes at most 10 bytes
  uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(value, field + 1);
  out->insert(out->end(), field, end);
}

// Frees what a slice of a block kept alive, once gRPC is done with it.
void Release(void* block) { delete static_cast<std::shared_ptr<const RecordRing::Block>*>(block); }

grpc::Slice SliceOf(const RecordRing::Piece& piece) {
  return grpc::Slice(const_cast<char*>(piece.data), piece.size, Release,
                     new std::shared_ptr<const RecordRing::Block>(piece.block));
}

// The batch's entries as JSON lines, in field 1.
void AddJsonLines(const RecordRing::Batch& batch, std::vector<grpc::Slice>* slices) {
  std::string lines;
  for (const RecordRing::Piece& piece : batch.pieces) {
    // The ring wrote these entries itself: they parse.
    (void)rtlog::AppendJsonLines(absl::string_view(piece.data, piece.size), &lines);
  }
  if (lines.empty()) return;
  std::vector<uint8_t> header;
  AppendField(kJsonlTag, lines.size(), &header);
  slices->emplace_back(header.data(), header.size());
  slices->emplace_back(lines);
}

}  // namespace

grpc::ByteBuffer TailMessage(const RecordRing::Batch& batch, v1::TailForm form) {
  // Protobuf writes fields in number order and leaves out zeros; so does
  // this: the JSON lines (field 1), the counts (2 and 3), or the entries
  // (field 4, as the ring keeps them).
  std::vector<grpc::Slice> slices;
  slices.reserve(batch.pieces.size() + 3);
  if (form == v1::JSON_LINES) AddJsonLines(batch, &slices);
  std::vector<uint8_t> counts;
  if (batch.records > 0) AppendField(kRecordsTag, batch.records, &counts);
  if (batch.missed > 0) AppendField(kMissedTag, batch.missed, &counts);
  if (!counts.empty()) slices.emplace_back(counts.data(), counts.size());
  if (form != v1::JSON_LINES) {
    for (const RecordRing::Piece& piece : batch.pieces) slices.push_back(SliceOf(piece));
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

}  // namespace toil::rtlog::internal
