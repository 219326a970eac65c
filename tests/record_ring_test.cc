// RecordRing's waiting readers: a reader waiting for a record wakes when it
// is kept, whether or not the dispatcher flushes (a busy leader flushes only
// when it has caught up).
#include "toil/rtlog/internal/leader/record_ring.h"

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "proto/log_record.pb.h"
#include "tests/test_util.h"
#include "toil/rtlog/log_sink.h"

namespace toil::rtlog::internal {
namespace {

void Keep(RecordRing& ring, int n) {
  LogRecord record;
  record.set_msg(absl::StrCat("record ", n));
  record.set_levelno(20);
  ring.Send(LogEntry(record, record.msg(), true, "local"));
}

TEST(RecordRingTest, AWaitingReaderWakesWhenItsRecordIsKeptWithoutAFlush) {
  RecordRing ring({.records = 100});
  // The reader waits for the tenth record from now, for up to a minute.
  const uint64_t tenth = ring.Next() + 9;
  std::atomic<bool> woke{false};
  std::thread reader([&] { woke = ring.WaitForMore(tenth, absl::Now() + absl::Minutes(1)); });
  ASSERT_TRUE(testing::WaitUntil([&] { return ring.waiting() == 1; }, absl::Seconds(30),
                                 "the reader to wait"));
  for (int n = 0; n < 10; ++n) Keep(ring, n);
  EXPECT_TRUE(testing::WaitUntil([&] { return woke.load(); }, absl::Seconds(30),
                                 "the reader to wake with its record"));
  reader.join();
  EXPECT_TRUE(woke.load());
  EXPECT_EQ(ring.waiting(), 0);
}

TEST(RecordRingTest, AReaderWaitsOutItsDeadlineWhenNoRecordComes) {
  RecordRing ring({.records = 100});
  Keep(ring, 0);
  EXPECT_FALSE(ring.WaitForMore(ring.Next(), absl::Now() + absl::Milliseconds(20)));
  EXPECT_TRUE(ring.WaitForMore(ring.Next() - 1, absl::Now() + absl::Minutes(1)));
}

TEST(RecordRingTest, CloseWakesEveryReader) {
  RecordRing ring({.records = 100});
  std::atomic<int> done{0};
  std::thread a([&] { ring.WaitForMore(5, absl::Now() + absl::Minutes(1)); ++done; });
  std::thread b([&] { ring.WaitForMore(50, absl::Now() + absl::Minutes(1)); ++done; });
  ASSERT_TRUE(testing::WaitUntil([&] { return ring.waiting() == 2; }, absl::Seconds(30),
                                 "both readers to wait"));
  ring.Close();
  EXPECT_TRUE(testing::WaitUntil([&] { return done.load() == 2; }, absl::Seconds(30),
                                 "both readers to wake"));
  a.join();
  b.join();
}

}  // namespace
}  // namespace toil::rtlog::internal
