// TailStream, one viewer's stream of the leader's recent records, on a real
// RecordRing with a clock of the test's own: records arrive at a steady rate
// while the stream waits, so what a viewer gets, misses and is told does
// not depend on how fast this machine is.
#include "toil/rtlog/internal/leader/tail_stream.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/internal/leader/record_ring.h"
#include "toil/rtlog/log_sink.h"

namespace toil::rtlog::internal {
namespace {

// Adds record number `n` ("record n", at `levelno`) to the ring.
void Arrive(RecordRing& ring, uint64_t n, int levelno = 20) {
  LogRecord record;
  record.set_msg(absl::StrCat("record ", n));
  record.set_levelno(levelno);
  record.set_hostname("node-1");
  record.set_job("align/1");
  ring.Send(LogEntry(record, record.msg(), true, "local"));
}

// Records arrive at `per_second`, numbered from 0, while the stream waits.
class ArrivingRecords final : public TailStream::Clock {
 public:
  ArrivingRecords(RecordRing& ring, double per_second)
      : ring_(ring), gap_(absl::Seconds(1) / per_second) {}
  absl::Time Now() override { return now_; }
  void WaitForRecord(const RecordRing& ring, uint64_t number, absl::Time deadline) override {
    while (ring.Next() <= number && now_ + gap_ <= deadline) {
      now_ += gap_;
      Arrive(ring_, arrived_++);
    }
    if (ring.Next() <= number) now_ = deadline;
  }

 private:
  RecordRing& ring_;
  const absl::Duration gap_;
  absl::Time now_ = absl::UnixEpoch();
  uint64_t arrived_ = 0;
};

// What a viewer got: the number in each record's message, in order, and the
// count it was told it missed.
struct Viewer {
  std::vector<uint64_t> numbers;
  uint64_t missed = 0;
  int messages = 0;

  bool Take(const RecordRing::Batch& batch) {
    ++messages;
    missed += batch.missed;
    uint32_t lines = 0;
    for (absl::string_view line : absl::StrSplit(batch.jsonl, '\n', absl::SkipEmpty())) {
      ++lines;
      const size_t at = line.find("\"msg\":\"record ");
      uint64_t n = 0;
      EXPECT_NE(at, absl::string_view::npos) << line;
      if (at == absl::string_view::npos) continue;
      const absl::string_view digits = line.substr(at + 14, line.find('"', at + 14) - at - 14);
      EXPECT_TRUE(absl::SimpleAtoi(digits, &n)) << line;
      numbers.push_back(n);
    }
    EXPECT_EQ(lines, batch.records);
    return true;
  }
  // Whether the numbers run from 0 without a gap.
  bool Consecutive() const {
    for (size_t i = 0; i < numbers.size(); ++i) {
      if (numbers[i] != i) return false;
    }
    return true;
  }
};

// A steady load: `per_second` records arrive at a ring that keeps `kept`,
// followed in messages of at most `batch_bytes`, one per 5 ms.
struct Load {
  size_t kept;
  double per_second;
  size_t batch_bytes;
};

// Follows the load until the viewer has `records` records or missed some.
Viewer Follow(const Load& load, size_t records) {
  RecordRing ring({.records = load.kept});
  ArrivingRecords clock(ring, load.per_second);
  TailStream stream(ring, RecordFilter{},
                    {.batch_bytes = load.batch_bytes,
                     .interval = absl::Milliseconds(5),
                     .follow = true},
                    clock);
  Viewer viewer;
  stream.Run([&](const RecordRing::Batch& batch) { return viewer.Take(batch); },
             [&] { return viewer.numbers.size() >= records || viewer.missed > 0; });
  return viewer;
}

TEST(TailStreamTest, AViewerThatKeepsUpMissesNothingHoweverFastRecordsCome) {
  // 800,000 records a second: 4,000 arrive while a message waits its 5 ms.
  const Viewer viewer =
      Follow({.kept = 16384, .per_second = 800000, .batch_bytes = 8 << 20}, 100000);
  EXPECT_EQ(viewer.missed, 0u);
  EXPECT_GE(viewer.numbers.size(), 100000u);
  EXPECT_TRUE(viewer.Consecutive());
  // Not one message per record, nor more than one per interval.
  EXPECT_LE(viewer.messages, 100000 / 4000 + 2);
}

TEST(TailStreamTest, WhileAMessageWaitsItsTurnASmallRingDoesNotOverflow) {
  // 100 records kept; 500 arrive in one 5 ms interval.
  const Viewer viewer = Follow({.kept = 100, .per_second = 100000, .batch_bytes = 8 << 20}, 20000);
  EXPECT_EQ(viewer.missed, 0u);
  EXPECT_GE(viewer.numbers.size(), 20000u);
  EXPECT_TRUE(viewer.Consecutive());
  EXPECT_LE(viewer.messages, 20000 / 500 + 2);
}

TEST(TailStreamTest, FullMessagesGoAtOnce) {
  // About 40 KiB of records in each 5 ms: messages of 16 KiB cannot wait.
  const Viewer viewer =
      Follow({.kept = 16384, .per_second = 100000, .batch_bytes = 16 << 10}, 20000);
  EXPECT_EQ(viewer.missed, 0u);
  EXPECT_TRUE(viewer.Consecutive());
  EXPECT_GE(viewer.messages, 20000 / 500);
}

TEST(TailStreamTest, AViewerThatFallsBehindIsToldExactlyWhatItMissed) {
  RecordRing ring({.records = 1000});
  for (uint64_t n = 0; n < 10; ++n) Arrive(ring, n);
  TailStream stream(ring, RecordFilter{}, {.follow = true, .last = 10});
  Viewer viewer;
  uint64_t next = 10;
  stream.Run(
      [&](const RecordRing::Batch& batch) {
        viewer.Take(batch);
        // While the viewer takes its first message, 3,000 records arrive:
        // the ring keeps the last 1,000 of them.
        if (viewer.messages == 1) {
          for (int i = 0; i < 3000; ++i) Arrive(ring, next++);
        }
        return true;
      },
      [&] { return viewer.numbers.size() + viewer.missed >= next; });
  EXPECT_EQ(viewer.missed, 2000u);
  ASSERT_EQ(viewer.numbers.size(), 1010u);
  EXPECT_EQ(viewer.numbers[9], 9u);
  EXPECT_EQ(viewer.numbers[10], 2010u);
  EXPECT_EQ(viewer.numbers.back(), 3009u);
}

TEST(TailStreamTest, WithoutFollowItSendsTheLastMatchingRecordsAndEnds) {
  RecordRing ring({.records = 100});
  for (uint64_t n = 0; n < 50; ++n) Arrive(ring, n, n % 10 == 0 ? 30 : 20);
  TailStream stream(ring, RecordFilter{.min_levelno = 30}, {.last = 3});
  Viewer viewer;
  stream.Run([&](const RecordRing::Batch& batch) { return viewer.Take(batch); },
             [] { return false; });
  EXPECT_EQ(viewer.numbers, (std::vector<uint64_t>{20, 30, 40}));
  EXPECT_EQ(viewer.missed, 0u);
}

TEST(TailStreamTest, AViewerThatGoesAwayEndsTheStream) {
  RecordRing ring({.records = 100});
  ArrivingRecords clock(ring, 1000);
  TailStream stream(ring, RecordFilter{}, {.follow = true}, clock);
  int writes = 0;
  stream.Run([&](const RecordRing::Batch&) { return ++writes < 3; }, [] { return false; });
  EXPECT_EQ(writes, 3);
}

}  // namespace
}  // namespace toil::rtlog::internal
