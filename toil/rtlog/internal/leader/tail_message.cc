// A Tail response around the ring's own text; see tail_message.h.
#include "toil/rtlog/internal/leader/tail_message.h"

#include <cstdint>
#include <memory>
#include <vector>

#include "grpcpp/support/slice.h"

namespace toil::rtlog::internal {
namespace {

// TailResponse's fields (proto/log_control.proto) as protobuf's wire format
// tags them: field number << 3 | wire type (2: length-delimited, 0: varint).
constexpr uint8_t kJsonlTag = 1 << 3 | 2;
constexpr uint8_t kRecordsTag = 2 << 3 | 0;
constexpr uint8_t kMissedTag = 3 << 3 | 0;

// A tag and a varint: at most 11 bytes.
void AppendField(uint8_t tag, uint64_t value, std::vector<uint8_t>* out) {
  out->push_back(tag);
  for (; value >= 0x80; value >>= 7) out->push_back(static_cast<uint8_t>(value | 0x80));
  out->push_back(static_cast<uint8_t>(value));
}

// Frees what a slice of a block kept alive, once gRPC is done with it.
void Release(void* block) { delete static_cast<std::shared_ptr<const RecordRing::Block>*>(block); }

grpc::Slice SliceOf(const RecordRing::Piece& piece) {
  return grpc::Slice(const_cast<char*>(piece.data), piece.size, Release,
                     new std::shared_ptr<const RecordRing::Block>(piece.block));
}

}  // namespace

grpc::ByteBuffer TailMessage(const RecordRing::Batch& batch) {
  // Protobuf writes fields in number order and leaves out zeros; so does this.
  std::vector<grpc::Slice> slices;
  slices.reserve(batch.pieces.size() + 2);
  std::vector<uint8_t> bytes;
  if (batch.bytes > 0) {
    AppendField(kJsonlTag, batch.bytes, &bytes);
    slices.emplace_back(bytes.data(), bytes.size());
    for (const RecordRing::Piece& piece : batch.pieces) slices.push_back(SliceOf(piece));
  }
  bytes.clear();
  if (batch.records > 0) AppendField(kRecordsTag, batch.records, &bytes);
  if (batch.missed > 0) AppendField(kMissedTag, batch.missed, &bytes);
  if (!bytes.empty()) slices.emplace_back(bytes.data(), bytes.size());
  return grpc::ByteBuffer(slices.data(), slices.size());
}

}  // namespace toil::rtlog::internal
