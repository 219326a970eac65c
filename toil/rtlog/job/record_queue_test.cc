// The queue between log calls and the sender: records come out once each,
// in order, with their fields and text, across wrap-arounds and from many
// threads; a full queue drops and counts; waiting ends when the sender has
// released what was waited for.
#include "toil/rtlog/job/record_queue.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace toil::rtlog::internal {
namespace {

QueuedRecord Fields(int line) {
  QueuedRecord fields;
  fields.level = Level::kWarning;
  fields.line = line;
  fields.time_ns = 1000 + line;
  return fields;
}

// Takes and releases everything queued; the texts, in order.
std::vector<std::string> Drain(RecordQueue& queue) {
  std::vector<std::string> texts;
  const RecordQueue::Batch batch = queue.Take(false);
  queue.ForEach(batch, [&](const QueuedRecord& record, absl::string_view text) {
    EXPECT_EQ(record.time_ns, 1000 + record.line);
    EXPECT_EQ(record.level, Level::kWarning);
    texts.emplace_back(text);
  });
  queue.Release(batch);
  return texts;
}

TEST(RecordQueueTest, RecordsComeOutInOrderAcrossWrapArounds) {
  RecordQueue queue;
  queue.Allocate();
  int next_in = 0;
  int next_out = 0;
  // Texts of varied length, ten times the ring's size in all.
  while (next_in < 40000) {
    for (int i = 0; i < 500; ++i, ++next_in) {
      const std::string text = absl::StrCat("record ", next_in, std::string(next_in % 300, '.'));
      ASSERT_EQ(queue.Push(Fields(next_in), text), static_cast<uint64_t>(next_in) + 1);
    }
    for (const std::string& text : Drain(queue)) {
      EXPECT_EQ(text, absl::StrCat("record ", next_out, std::string(next_out % 300, '.')));
      ++next_out;
    }
  }
  EXPECT_EQ(next_out, next_in);
  EXPECT_EQ(queue.processed(), queue.enqueued());
  EXPECT_EQ(queue.dropped(), 0u);
}

TEST(RecordQueueTest, AFullQueueDropsAndCounts) {
  RecordQueue queue;
  queue.Allocate();
  const std::string text(1000, 'x');
  uint64_t queued = 0;
  for (int i = 0; i < 2000; ++i) queued += queue.Push(Fields(i), text) != 0;
  EXPECT_LT(queued, 2000u);
  EXPECT_GT(queued, 900u);  // about 1 MiB of 1 KiB records
  EXPECT_EQ(queue.dropped(), 2000u - queued);
  EXPECT_EQ(Drain(queue).size(), queued);
  EXPECT_NE(queue.Push(Fields(0), text), 0u);  // room again
}

// The waiting policy: a full queue makes the caller wait for the sender's
// room rather than drop, and nothing is lost however fast it pushes. The
// sender here takes records only once the ring is nearly full, so that the
// producer keeps finding it full and waiting.
void ExpectAWaitingPushTakesTheRoomTheSenderMakes(absl::Duration wait) {
  RecordQueue queue;
  queue.Allocate();
  const std::string text(1000, 'x');
  constexpr int kRecords = 20000;        // about 20 rings' worth
  constexpr uint64_t kNearlyFull = 800;  // of about 980 such records
  std::atomic<bool> done{false};
  std::atomic<int> refused{0};
  std::thread producer([&] {
    for (int i = 0; i < kRecords && refused == 0; ++i) {
      if (queue.Push(Fields(i), text, wait) == 0) ++refused;
    }
    done = true;
  });
  while (!done || queue.processed() < queue.enqueued()) {
    if (!done && queue.enqueued() - queue.processed() < kNearlyFull) continue;
    queue.Release(queue.Take(false));
  }
  producer.join();
  EXPECT_EQ(refused, 0);
  EXPECT_EQ(queue.enqueued(), static_cast<uint64_t>(kRecords));
  EXPECT_EQ(queue.dropped(), 0u);
}

TEST(RecordQueueTest, AWaitingPushTakesTheRoomTheSenderMakes) {
  ExpectAWaitingPushTakesTheRoomTheSenderMakes(absl::Seconds(60));
}

// Waiting without end (what `send` asks for): its deadline must not
// overflow into the past, which would drop at once.
TEST(RecordQueueTest, AnEndlessWaitTakesTheRoomToo) {
  ExpectAWaitingPushTakesTheRoomTheSenderMakes(absl::InfiniteDuration());
  ExpectAWaitingPushTakesTheRoomTheSenderMakes(absl::Nanoseconds(INT64_MAX));
}

// ... but no longer than it said it would: then the record is counted.
TEST(RecordQueueTest, AWaitingPushGivesUpAfterItsBound) {
  RecordQueue queue;
  queue.Allocate();
  const std::string text(1000, 'x');
  while (queue.Push(Fields(0), text) != 0) {
  }
  const uint64_t dropped = queue.dropped();
  EXPECT_EQ(queue.Push(Fields(1), text, absl::Milliseconds(20)), 0u);
  EXPECT_EQ(queue.dropped(), dropped + 1);
}

TEST(RecordQueueTest, ALongTextIsCutAndItsLengthKept) {
  RecordQueue queue;
  queue.Allocate();
  queue.Push(Fields(1), std::string(RecordQueue::kMaxText + 100, 'y'));
  const RecordQueue::Batch batch = queue.Take(false);
  queue.ForEach(batch, [](const QueuedRecord& record, absl::string_view text) {
    EXPECT_EQ(text.size(), RecordQueue::kMaxText);
    EXPECT_EQ(record.original_size, RecordQueue::kMaxText + 100);
  });
  queue.Release(batch);
}

TEST(RecordQueueTest, ManyThreadsEachKeepTheirOrder) {
  RecordQueue queue;
  queue.Allocate();
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&queue, t] {
      for (int i = 0; i < kEach; ++i) {
        while (queue.Push(Fields(t), absl::StrCat(t, " ", i)) == 0) std::this_thread::yield();
      }
    });
  }
  std::vector<int> next(kThreads, 0);
  int seen = 0;
  while (seen < kThreads * kEach) {
    const RecordQueue::Batch batch = queue.Take(false);
    queue.ForEach(batch, [&](const QueuedRecord& record, absl::string_view text) {
      EXPECT_EQ(text, absl::StrCat(record.line, " ", next[record.line]++));
      ++seen;
    });
    queue.Release(batch);
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(queue.processed(), static_cast<uint64_t>(kThreads * kEach));
}

TEST(RecordQueueTest, WaitingEndsWhenTheRecordIsReleased) {
  RecordQueue queue;
  queue.Allocate();
  const uint64_t number = queue.Push(Fields(1), "critical");
  std::thread sender([&] {
    while (queue.Take(false).count == 0) {
    }
    queue.Release(queue.Take(false));
  });
  EXPECT_TRUE(queue.WaitUntil([&] { return queue.processed() >= number; }, absl::Seconds(30)));
  sender.join();
  EXPECT_FALSE(queue.WaitUntil([] { return false; }, absl::Milliseconds(5)));
}

}  // namespace
}  // namespace toil::rtlog::internal
