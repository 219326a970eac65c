// RecordRing: the entries it keeps for viewers, in blocks that batches
// share rather than copy, and how it wakes a reader that waits for a record:
// when that record is kept, whether or not the dispatcher flushes (a busy
// leader flushes only when it has caught up), and once.
#include "toil/rtlog/leader/control/record_ring.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/log_record.pb.h"
#include "re2/re2.h"
#include "toil/rtlog/sinks/log_sink.h"
#include "toil/rtlog/sinks/tail_entry.h"

namespace toil::rtlog::internal {
namespace {

// Keeps record `n` (its message `text`, or "record n"); returns its Tail
// entry's bytes.
std::string Keep(RecordRing& ring, int n, std::string text = "") {
  LogRecord record;
  record.set_msg(text.empty() ? absl::StrCat("record ", n) : text);
  record.set_levelno(20);
  const LogEntry entry(record, record.msg(), true, "local");
  ring.Send(entry);
  std::string bytes;
  AppendTailEntry(entry, &bytes);
  return bytes;
}

TEST(RecordRingTest, ABatchHasTheEntriesInOnePiecePerBlock) {
  // Blocks of 1 KiB: about 10 entries each.
  RecordRing ring({.records = 100, .block_bytes = 1024});
  std::string expected;
  for (int n = 0; n < 40; ++n) expected += Keep(ring, n);
  RecordRing::Batch batch;
  EXPECT_EQ(ring.Read(ring.Oldest(), RecordFilter{}, 1 << 20, &batch), ring.Next());
  EXPECT_EQ(batch.records, 40u);
  EXPECT_EQ(batch.Bytes(), expected);
  EXPECT_EQ(batch.bytes, expected.size());
  EXPECT_LE(batch.pieces.size(), expected.size() / 800 + 1) << "entries of one block coalesce";
  EXPECT_GE(batch.pieces.size(), expected.size() / 1024);
}

TEST(RecordRingTest, ARecordLargerThanABlockIsKeptWhole) {
  RecordRing ring({.records = 10, .block_bytes = 1024});
  const std::string small = Keep(ring, 0);
  const std::string large = Keep(ring, 1, std::string(5000, 'x'));
  RecordRing::Batch batch;
  ring.Read(ring.Oldest(), RecordFilter{}, 1 << 20, &batch);
  EXPECT_EQ(batch.Bytes(), small + large);
}

TEST(RecordRingTest, ABatchKeepsItsTextAfterTheRingOverwritesIt) {
  RecordRing ring({.records = 10, .block_bytes = 1024});
  std::string expected;
  for (int n = 0; n < 10; ++n) expected += Keep(ring, n);
  RecordRing::Batch batch;
  ring.Read(ring.Oldest(), RecordFilter{}, 1 << 20, &batch);
  std::weak_ptr<const RecordRing::Block> first = batch.pieces.front().block;
  for (int n = 10; n < 1000; ++n) Keep(ring, n);
  EXPECT_EQ(ring.Oldest(), 991u);
  EXPECT_EQ(batch.Bytes(), expected);
  batch.Clear();
  EXPECT_TRUE(first.expired()) << "a block nobody needs is freed";
}

TEST(RecordRingTest, ReadTakesOnlyWhatMatches) {
  RecordRing ring({.records = 100});
  std::string expected;
  for (int n = 0; n < 30; ++n) {
    const std::string line = Keep(ring, n, n % 3 == 0 ? absl::StrCat("needle ", n) : "hay");
    if (n % 3 == 0) expected += line;
  }
  RecordFilter filter;
  filter.grep = std::make_shared<re2::RE2>("needle");
  RecordRing::Batch batch;
  ring.Read(ring.Oldest(), filter, 1 << 20, &batch);
  EXPECT_EQ(batch.records, 10u);
  EXPECT_EQ(batch.Bytes(), expected);
}

TEST(RecordRingTest, AWaitingReaderIsWokenOnceWhenItsRecordIsKeptWithoutAFlush) {
  RecordRing ring({.records = 100});
  std::atomic<int> wakes{0};
  ring.SetWaker([&] { ++wakes; });
  // The reader waits for the tenth record from now.
  const uint64_t tenth = ring.Next() + 9;
  EXPECT_FALSE(ring.WakeWhenKept(tenth));
  std::thread keeper([&] {
    for (int n = 0; n < 9; ++n) Keep(ring, n);
  });
  keeper.join();
  EXPECT_EQ(wakes.load(), 0) << "not for the records before it";
  Keep(ring, 9);
  EXPECT_EQ(wakes.load(), 1);
  Keep(ring, 10);
  EXPECT_EQ(wakes.load(), 1) << "once per ask";
  EXPECT_TRUE(ring.WakeWhenKept(tenth)) << "kept already: no wait";
  EXPECT_EQ(wakes.load(), 1);
}

TEST(RecordRingTest, AnAskReplacesTheOneBeforeIt) {
  RecordRing ring({.records = 100});
  std::atomic<int> wakes{0};
  ring.SetWaker([&] { ++wakes; });
  // The reader asked for record 5, was woken by its clock instead, read on,
  // and now waits for record 20.
  EXPECT_FALSE(ring.WakeWhenKept(5));
  EXPECT_FALSE(ring.WakeWhenKept(20));
  for (int n = 0; n < 19; ++n) Keep(ring, n);
  EXPECT_EQ(wakes.load(), 0) << "no wake for a record nobody waits for any more";
  Keep(ring, 19);
  EXPECT_EQ(wakes.load(), 1);
}

TEST(RecordRingTest, CloseWakesAWaitingReaderForGood) {
  RecordRing ring({.records = 100});
  std::atomic<int> wakes{0};
  ring.SetWaker([&] { ++wakes; });
  EXPECT_FALSE(ring.WakeWhenKept(50));
  ring.Close();
  EXPECT_EQ(wakes.load(), 1);
  EXPECT_TRUE(ring.closed());
  EXPECT_TRUE(ring.WakeWhenKept(500)) << "closed: nothing to wait for";
}

}  // namespace
}  // namespace toil::rtlog::internal
