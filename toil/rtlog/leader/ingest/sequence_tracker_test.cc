// Tests of per-stream gap and duplicate detection.
#include "toil/rtlog/leader/ingest/sequence_tracker.h"

#include "gtest/gtest.h"

namespace toil::rtlog::internal {
namespace {

using Verdict = SequenceTracker::Verdict;

TEST(SequenceTrackerTest, InOrderRecordsLoseNothing) {
  SequenceTracker t;
  for (uint64_t s = 1; s <= 5000; ++s) {
    ASSERT_EQ(t.Take(7, s).verdict, Verdict::kNew);
  }
  EXPECT_EQ(t.lost(), 0u);
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_FALSE(t.Take(7, 5001).first_record);
  EXPECT_TRUE(t.Take(8, 1).first_record);
}

TEST(SequenceTrackerTest, GapsCountAsLostPerStream) {
  SequenceTracker t;
  for (uint64_t s : {1, 2, 3, 7, 8, 20}) t.Take(1, s);  // 4-6, 9-19
  for (uint64_t s : {1, 2, 3}) t.Take(2, s);
  EXPECT_EQ(t.Find(1)->lost, 14u);
  EXPECT_EQ(t.Find(2)->lost, 0u);
  EXPECT_EQ(t.lost(), 14u);
}

TEST(SequenceTrackerTest, ALateArrivalInsideTheWindowTakesItsLossBack) {
  SequenceTracker t;
  t.Take(1, 1);
  t.Take(1, 3);
  EXPECT_EQ(t.lost(), 1u);
  EXPECT_EQ(t.Take(1, 2).verdict, Verdict::kNew);
  EXPECT_EQ(t.lost(), 0u);
  // Now 2 has arrived: again is a duplicate.
  EXPECT_EQ(t.Take(1, 2).verdict, Verdict::kDuplicate);
  EXPECT_EQ(t.lost(), 0u);
  EXPECT_EQ(t.duplicates(), 1u);
}

TEST(SequenceTrackerTest, RepeatsAndRecordsOlderThanTheWindowAreDuplicates) {
  SequenceTracker t;
  for (uint64_t s = 1; s <= 3 * SequenceTracker::kWindow; ++s) t.Take(1, s);
  EXPECT_EQ(t.Take(1, 3 * SequenceTracker::kWindow).verdict, Verdict::kDuplicate);
  EXPECT_EQ(t.Take(1, 5).verdict, Verdict::kDuplicate);  // replayed, long after
  EXPECT_EQ(t.duplicates(), 2u);
  EXPECT_EQ(t.lost(), 0u);
}

TEST(SequenceTrackerTest, AJumpLargerThanTheWindowCountsEveryNumberSkipped) {
  SequenceTracker t;
  t.Take(1, 1);
  t.Take(1, 10 * SequenceTracker::kWindow);
  EXPECT_EQ(t.lost(), 10 * SequenceTracker::kWindow - 2);
  // The window moved with it: the number just below is missing, not seen.
  EXPECT_EQ(t.Take(1, 10 * SequenceTracker::kWindow - 1).verdict, Verdict::kNew);
  EXPECT_EQ(t.lost(), 10 * SequenceTracker::kWindow - 3);
}

TEST(SequenceTrackerTest, AProcesssFirstRecordsMissingAreLost) {
  SequenceTracker t;
  t.Take(1, 4);
  EXPECT_EQ(t.lost(), 3u);
}

TEST(SequenceTrackerTest, JoiningAStreamMidwayCountsNothingBefore) {
  // A leader restarted on the same port hears processes that already sent
  // thousands of records to the previous one.
  SequenceTracker t;
  t.Take(1, 50000);
  t.Take(1, 50001);
  EXPECT_EQ(t.lost(), 0u);
  t.Take(1, 50003);
  EXPECT_EQ(t.lost(), 1u);
}

TEST(SequenceTrackerTest, MemoryIsBoundedUnderManyStreams) {
  SequenceTracker t;
  const uint64_t n = SequenceTracker::kMaxStreams + 5000;
  for (uint64_t stream = 1; stream <= n; ++stream) t.Take(stream, 1);
  EXPECT_LE(t.streams(), SequenceTracker::kMaxStreams);
  EXPECT_GT(t.forgotten(), 0u);
  EXPECT_EQ(t.streams() + t.forgotten(), n);
  // The most recent streams are the ones kept.
  EXPECT_NE(t.Find(n), nullptr);
  EXPECT_EQ(t.Find(1), nullptr);
  EXPECT_EQ(t.lost(), 0u);
}

TEST(SequenceTrackerTest, AForgottenStreamIsNotOpenToReplay) {
  SequenceTracker t;
  for (uint64_t s = 1; s <= 100; ++s) t.Take(1, s);
  for (uint64_t stream = 2; stream <= SequenceTracker::kMaxStreams + 10; ++stream) {
    t.Take(stream, 1);
  }
  ASSERT_EQ(t.Find(1), nullptr);                           // forgotten
  EXPECT_EQ(t.Take(1, 50).verdict, Verdict::kDuplicate);   // a replay
  EXPECT_EQ(t.Take(1, 100).verdict, Verdict::kDuplicate);  // a replay
  EXPECT_EQ(t.Take(1, 101).verdict, Verdict::kNew);        // it goes on
  EXPECT_EQ(t.Take(1, 103).verdict, Verdict::kNew);
  EXPECT_EQ(t.Find(1)->lost, 1u);
}

// Past what it can remember of forgotten streams, a stream it does not know
// that starts midway may be one it forgot, replayed: it is refused. A new
// process (starting at 1) is always welcome.
TEST(SequenceTrackerTest, PastItsMemoryAStreamStartingMidwayIsRefused) {
  SequenceTracker t;
  EXPECT_EQ(t.Take(1, 5000).verdict, Verdict::kNew);  // joined midway: fine
  const uint64_t streams = SequenceTracker::kMaxRemembered + 2 * SequenceTracker::kMaxStreams;
  for (uint64_t stream = 2; stream <= streams; ++stream) t.Take(stream, 5000);
  const uint64_t unknown = t.unknown();
  EXPECT_GT(unknown, 0u);  // the last of those already
  EXPECT_EQ(t.Take(streams + 1, 5000).verdict, Verdict::kUnknown);
  EXPECT_EQ(t.unknown(), unknown + 1);
  EXPECT_EQ(t.Take(streams + 2, 1).verdict, Verdict::kNew);
  EXPECT_EQ(t.Take(streams + 3, SequenceTracker::kWindow).verdict, Verdict::kNew);
}

// A stream connection that starts at 501 (a new leader, after the old one
// acknowledged 1 to 500) loses nothing; one that resumes a known stream
// changes nothing, and what it sends again is dropped.
TEST(SequenceTrackerTest, AConnectionSaysWhereItStarts) {
  SequenceTracker t;
  ASSERT_NE(t.Expect(1, 501), nullptr);
  EXPECT_TRUE(t.Find(1)->streamed);
  EXPECT_EQ(t.Take(1, 501).verdict, Verdict::kNew);
  EXPECT_EQ(t.Take(1, 502).verdict, Verdict::kNew);
  EXPECT_EQ(t.lost(), 0u);
  t.Expect(1, 502);  // a reconnect, resending 502
  EXPECT_EQ(t.Take(1, 502).verdict, Verdict::kDuplicate);
  EXPECT_EQ(t.Take(1, 503).verdict, Verdict::kNew);
  EXPECT_EQ(t.lost(), 0u);
}

// The end says how many there were: what never came is counted then.
TEST(SequenceTrackerTest, TheEndCountsWhatNeverCame) {
  SequenceTracker t;
  t.Expect(1, 1);
  for (uint64_t s = 1; s <= 10; ++s) t.Take(1, s);
  EXPECT_EQ(t.End(1, 10), 0u);
  EXPECT_TRUE(t.Find(1)->ended);
  t.Expect(2, 1);
  for (uint64_t s = 1; s <= 10; ++s) t.Take(2, s);
  EXPECT_EQ(t.End(2, 5000), 4990u);
  EXPECT_EQ(t.Find(2)->lost, 4990u);
  EXPECT_EQ(t.lost(), 4990u);
  EXPECT_EQ(t.End(3, 7), 0u);  // not known
}

}  // namespace
}  // namespace toil::rtlog::internal
