// TailMessage builds a Tail response around the ring's own entries (form
// ENTRIES) or their JSON lines (form JSON_LINES); its bytes must be exactly
// protobuf's serialization of the same TailResponse, so that any gRPC
// client parses it.
#include "toil/rtlog/leader/control/tail_message.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/support/slice.h"
#include "gtest/gtest.h"
#include "proto/log_control.pb.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/leader/control/record_ring.h"
#include "toil/rtlog/sinks/json_lines_sink.h"
#include "toil/rtlog/sinks/log_sink.h"

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

// What protobuf makes of the same message, its records kept as `entries`
// (the LogEntry each stands for; they refer into `records`).
std::string Expected(const std::vector<LogEntry>& entries, const RecordRing::Batch& batch,
                     v1::TailForm form) {
  v1::TailResponse response;
  for (const LogEntry& entry : entries) {
    if (form == v1::JSON_LINES) {
      JsonLinesSink::AppendLine(entry, response.mutable_jsonl());
      continue;
    }
    v1::TailEntry tail;
    *tail.mutable_record() = internal::RecordOf(entry);
    if (entry.text_message() != internal::RecordOf(entry).msg()) {
      tail.set_message(std::string(entry.text_message()));
    }
    tail.set_sender(std::string(entry.sender()));
    response.add_entries(tail.SerializeAsString());
  }
  response.set_records(batch.records);
  response.set_missed(batch.missed);
  return response.SerializeAsString();
}

// Records given to a ring, and what the ring's reader gets of them.
struct Kept {
  std::vector<LogRecord> records;
  std::vector<LogEntry> entries;
  RecordRing::Batch batch;
};

// `count` records (every third with a %-rendered message that is not its
// msg) kept by `ring` and read from its oldest.
std::unique_ptr<Kept> Keep(RecordRing& ring, int count, int message_bytes) {
  auto kept = std::make_unique<Kept>();
  kept->records.resize(count);
  for (int n = 0; n < count; ++n) {
    LogRecord& record = kept->records[n];
    record.set_msg(absl::StrCat(n, ": ", std::string(message_bytes, 'm'), n % 3 ? "" : " %s"));
    record.set_levelno(20);
    record.set_hostname("node-1");
  }
  static const std::string* rendered = new std::string("rendered");
  for (int n = 0; n < count; ++n) {
    const LogRecord& record = kept->records[n];
    kept->entries.emplace_back(record, n % 3 ? absl::string_view(record.msg()) : *rendered, true,
                               "10.0.0.1:5000");
    ring.Send(kept->entries.back());
  }
  ring.Read(ring.Oldest(), RecordFilter{}, 64 << 20, &kept->batch);
  return kept;
}

TEST(TailMessageTest, TheBytesAreProtobufsOwnForTheSameResponseInBothForms) {
  for (v1::TailForm form : {v1::ENTRIES, v1::JSON_LINES}) {
    for (int message_bytes : {0, 100, 3000, 200000}) {
      RecordRing ring({.records = 1000, .block_bytes = 1024});
      const std::unique_ptr<Kept> kept = Keep(ring, 40, message_bytes);
      ASSERT_GT(kept->batch.pieces.size(), 1u);
      EXPECT_EQ(Bytes(TailMessage(kept->batch, form)), Expected(kept->entries, kept->batch, form))
          << v1::TailForm_Name(form) << " " << message_bytes;
    }
  }
}

TEST(TailMessageTest, NoRecordsLargeCountsAndNothingAtAllToo) {
  for (v1::TailForm form : {v1::ENTRIES, v1::JSON_LINES}) {
    RecordRing::Batch batch;
    EXPECT_EQ(Bytes(TailMessage(batch, form)), Expected({}, batch, form));
    batch.missed = (uint64_t{1} << 40) + 5;
    EXPECT_EQ(Bytes(TailMessage(batch, form)), Expected({}, batch, form));
    batch.records = 4000000000u;
    EXPECT_EQ(Bytes(TailMessage(batch, form)), Expected({}, batch, form));
  }
}

TEST(TailMessageTest, TheMessageKeepsItsEntriesAfterTheRingMovesOn) {
  RecordRing ring({.records = 10, .block_bytes = 1024});
  std::unique_ptr<Kept> kept = Keep(ring, 10, 50);
  const std::string expected = Expected(kept->entries, kept->batch, v1::ENTRIES);
  const grpc::ByteBuffer message = TailMessage(kept->batch, v1::ENTRIES);
  kept.reset();
  Keep(ring, 1000, 50);  // every record and block of the first batch gone
  EXPECT_EQ(Bytes(message), expected);
}

}  // namespace
}  // namespace toil::rtlog::internal
