// TailStream, one viewer's stream of the leader's recent records, on a real
// RecordRing, driven as the TailPump drives it but on a clock of the test's
// own: records arrive at a steady rate while the stream waits, so what a
// viewer gets, misses and is told, and how many messages it takes, do not
// depend on how fast this machine is.
#include "toil/rtlog/leader/control/tail_stream.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/leader/control/record_ring.h"
#include "toil/rtlog/sinks/log_sink.h"
#include "toil/rtlog/sinks/tail_entry.h"

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

// The test's clock: records arrive at `per_second` (numbered from 0) while
// the stream waits, and drives the stream as the TailPump does.
class ArrivingRecords {
 public:
  ArrivingRecords(RecordRing& ring, double per_second)
      : ring_(ring),
        gap_(per_second > 0 ? absl::Seconds(1) / per_second : absl::InfiniteDuration()) {}
  absl::Time Now() const { return now_; }
  // Until the ring has record `step.record`, or `step.until`; false when
  // neither will ever come.
  bool Wait(const TailStream::Step& step) {
    while (ring_.Next() <= step.record && now_ + gap_ <= step.until) {
      now_ += gap_;
      Arrive(ring_, arrived_++);
    }
    if (ring_.Next() > step.record) return true;
    if (step.until == absl::InfiniteFuture()) return false;
    now_ = step.until;
    return true;
  }

 private:
  RecordRing& ring_;
  const absl::Duration gap_;
  absl::Time now_ = absl::UnixEpoch();
  uint64_t arrived_ = 0;
};

// Runs `stream` until `stopped()`, its end, or a message `take` refuses.
void Drive(TailStream& stream, ArrivingRecords& clock,
           const std::function<bool(const RecordRing::Batch&)>& take,
           const std::function<bool()>& stopped) {
  while (!stopped()) {
    const TailStream::Step step = stream.Next(clock.Now());
    if (step.kind == TailStream::Step::kEnd) return;
    if (step.kind == TailStream::Step::kWrite) {
      if (!take(stream.batch())) return;
      stream.Written(clock.Now());
    } else if (!clock.Wait(step)) {
      return;
    }
  }
}

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
    std::string text;
    EXPECT_TRUE(AppendJsonLines(batch.Bytes(), &text).ok());
    for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
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
// followed in messages of at most `batch_bytes`, one per 5 ms (25 ms once
// a message carries `busy_bytes`).
struct Load {
  size_t kept;
  double per_second;
  size_t batch_bytes;
  size_t busy_bytes = SIZE_MAX;
};

// Follows the load until the viewer has `records` records or missed some.
Viewer Follow(const Load& load, size_t records) {
  RecordRing ring({.records = load.kept});
  ArrivingRecords clock(ring, load.per_second);
  TailStream stream(ring, RecordFilter{},
                    {.batch_bytes = load.batch_bytes,
                     .interval = absl::Milliseconds(5),
                     .busy_interval = absl::Milliseconds(25),
                     .busy_bytes = load.busy_bytes,
                     .follow = true});
  Viewer viewer;
  Drive(
      stream, clock, [&](const RecordRing::Batch& batch) { return viewer.Take(batch); },
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
  // About 20 KiB of entries in each 5 ms: messages of 16 KiB cannot wait.
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
  ArrivingRecords clock(ring, 0);
  Viewer viewer;
  uint64_t next = 10;
  Drive(
      stream, clock,
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
  ArrivingRecords clock(ring, 0);
  Viewer viewer;
  Drive(
      stream, clock, [&](const RecordRing::Batch& batch) { return viewer.Take(batch); },
      [] { return false; });
  EXPECT_EQ(viewer.numbers, (std::vector<uint64_t>{20, 30, 40}));
  EXPECT_EQ(viewer.missed, 0u);
}

TEST(TailStreamTest, AViewerThatGoesAwayEndsTheStream) {
  RecordRing ring({.records = 100});
  ArrivingRecords clock(ring, 1000);
  TailStream stream(ring, RecordFilter{}, {.follow = true});
  int writes = 0;
  Drive(
      stream, clock, [&](const RecordRing::Batch&) { return ++writes < 3; }, [] { return false; });
  EXPECT_EQ(writes, 3);
}

TEST(TailStreamTest, ABusyStreamSendsFewerLargerMessagesAndATrickleStaysPrompt) {
  // 100,000 records a second (20 KiB of entries in 5 ms): once a message
  // carries 8 KiB, the next ones wait 25 ms, so about 40 messages a second.
  const Viewer busy = Follow(
      {.kept = 16384, .per_second = 100000, .batch_bytes = 8 << 20, .busy_bytes = 8 << 10}, 100000);
  EXPECT_EQ(busy.missed, 0u);
  EXPECT_TRUE(busy.Consecutive());
  EXPECT_LE(busy.messages, 100000 / 2500 + 3);
  // 1,000 a second: each message is small, so they keep going every 5 ms.
  const Viewer trickle = Follow(
      {.kept = 16384, .per_second = 1000, .batch_bytes = 8 << 20, .busy_bytes = 8 << 10}, 1000);
  EXPECT_TRUE(trickle.Consecutive());
  EXPECT_GE(trickle.messages, 1000 / 5 - 2);
}

TEST(TailStreamTest, AClosedRingHasItsLastRecordsSentAndTheStreamEnds) {
  RecordRing ring({.records = 100});
  ArrivingRecords clock(ring, 1000);
  TailStream stream(ring, RecordFilter{}, {.follow = true});
  Viewer viewer;
  Drive(
      stream, clock,
      [&](const RecordRing::Batch& batch) {
        viewer.Take(batch);
        return true;
      },
      [&] {
        // After the first message, three records arrive and the ring
        // closes before their message is due.
        if (viewer.messages == 1 && !ring.closed()) {
          for (uint64_t n : {1000, 1001, 1002}) Arrive(ring, n);
          ring.Close();
        }
        return false;
      });
  ASSERT_GE(viewer.numbers.size(), 3u);
  EXPECT_EQ(viewer.numbers.back(), 1002u);
  EXPECT_EQ(viewer.messages, 2);
}

}  // namespace
}  // namespace toil::rtlog::internal
