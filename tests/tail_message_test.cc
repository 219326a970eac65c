// TailMessage builds a Tail response around the ring's own text; its bytes
// must be exactly protobuf's serialization of the same TailResponse, so that
// any gRPC client parses it.
#include "toil/rtlog/internal/leader/tail_message.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/support/slice.h"
#include "gtest/gtest.h"
#include "proto/log_control.pb.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/internal/leader/record_ring.h"
#include "toil/rtlog/log_sink.h"

namespace toil::rtlog::internal {
namespace {

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

// What protobuf makes of the same message.
std::string Expected(const RecordRing::Batch& batch) {
  v1::TailResponse response;
  response.set_jsonl(batch.Text());
  response.set_records(batch.records);
  response.set_missed(batch.missed);
  return response.SerializeAsString();
}

// A ring of `records` records in blocks of 1 KiB, read from its oldest.
RecordRing::Batch BatchOf(RecordRing& ring, int records, int message_bytes) {
  for (int n = 0; n < records; ++n) {
    LogRecord record;
    record.set_msg(absl::StrCat(n, ": ", std::string(message_bytes, 'm')));
    record.set_levelno(20);
    ring.Send(LogEntry(record, record.msg(), true, "local"));
  }
  RecordRing::Batch batch;
  ring.Read(ring.Oldest(), RecordFilter{}, 64 << 20, &batch);
  return batch;
}

TEST(TailMessageTest, TheBytesAreProtobufsOwnForTheSameResponse) {
  for (int message_bytes : {0, 100, 3000, 200000}) {
    RecordRing ring({.records = 1000, .block_bytes = 1024});
    const RecordRing::Batch batch = BatchOf(ring, 40, message_bytes);
    ASSERT_GT(batch.pieces.size(), 1u);
    EXPECT_EQ(Bytes(TailMessage(batch)), Expected(batch)) << message_bytes;
  }
}

TEST(TailMessageTest, EmptyTextLargeCountsAndNothingAtAllToo) {
  RecordRing::Batch batch;
  EXPECT_EQ(Bytes(TailMessage(batch)), Expected(batch));
  batch.missed = (uint64_t{1} << 40) + 5;
  EXPECT_EQ(Bytes(TailMessage(batch)), Expected(batch));
  batch.records = 4000000000u;
  EXPECT_EQ(Bytes(TailMessage(batch)), Expected(batch));
}

TEST(TailMessageTest, TheMessageKeepsItsTextAfterTheRingMovesOn) {
  RecordRing ring({.records = 10, .block_bytes = 1024});
  RecordRing::Batch batch = BatchOf(ring, 10, 50);
  const std::string expected = Expected(batch);
  const grpc::ByteBuffer message = TailMessage(batch);
  batch.Clear();
  BatchOf(ring, 1000, 50);  // every record and block of the first batch gone
  EXPECT_EQ(Bytes(message), expected);
}

}  // namespace
}  // namespace toil::rtlog::internal
