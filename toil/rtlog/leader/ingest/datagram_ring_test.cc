// Tests of the ring between the leader's receive and processing threads:
// datagrams of any size come out whole and in order through a ring far
// smaller than what passes through it (so it wraps and fills), with their
// senders' addresses; the reader waits with a deadline; closing ends it.
#include "toil/rtlog/leader/ingest/datagram_ring.h"

#include <netinet/in.h>
#include <time.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "toil/rtlog/wire/record_decoder.h"

namespace toil::rtlog::internal {
namespace {

sockaddr_in PeerFor(int i) {
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(static_cast<uint16_t>(1000 + i % 50000));
  peer.sin_addr.s_addr = htonl(0x7f000001);
  return peer;
}

// Datagram `i`: its size varies from 0 to 64 KiB, its bytes say who it is.
std::string Payload(int i) {
  const size_t size = i % 97 == 0 ? 65536 : (i * 7919) % 3001;
  std::string payload(size, static_cast<char>('a' + i % 26));
  const std::string tag = std::to_string(i);
  payload.replace(0, std::min(tag.size(), payload.size()), tag.substr(0, payload.size()));
  return payload;
}

TEST(DatagramRingTest, DatagramsComeOutWholeAndInOrderThroughASmallRing) {
  DatagramRing ring(0);  // the smallest: twice the largest datagram's room
  constexpr int kCount = 5000;
  std::thread writer([&] {
    for (int i = 0; i < kCount; ++i) {
      const std::string payload = Payload(i);
      const sockaddr_in peer = PeerFor(i);
      ring.Write(payload.data(), payload.size(), false, reinterpret_cast<const sockaddr*>(&peer),
                 sizeof(peer));
      if (i % 7 == 0) ring.Publish();
    }
    ring.Close();
  });
  int next = 0;
  bool in_order = true;
  while (!ring.closed()) {
    ring.ReadAll(absl::Now() + absl::Seconds(30), [&](const DatagramRing::Datagram& d) {
      const std::string expected = Payload(next);
      const sockaddr_in peer = PeerFor(next);
      if (std::string(d.data, d.size) != expected || d.truncated || d.peer_length != sizeof(peer) ||
          std::memcmp(d.peer, &peer, sizeof(peer)) != 0) {
        in_order = false;
      }
      // The decoder's padding after the data is the reader's to write.
      std::memset(d.data + d.size, 0, RecordDecoder::kPadding);
      ++next;
    });
  }
  writer.join();
  EXPECT_TRUE(in_order) << "a datagram came out changed, out of order or with another peer";
  EXPECT_EQ(next, kCount);
}

TEST(DatagramRingTest, ATruncatedDatagramIsMarkedAndKeepsNoBytes) {
  DatagramRing ring(1 << 20);
  const sockaddr_in peer = PeerFor(1);
  const std::string big(1000, 'x');
  ring.Write(big.data(), big.size(), true, reinterpret_cast<const sockaddr*>(&peer), sizeof(peer));
  ring.Publish();
  std::vector<DatagramRing::Datagram> seen;
  EXPECT_EQ(ring.ReadAll(absl::InfiniteFuture(),
                         [&](const DatagramRing::Datagram& d) { seen.push_back(d); }),
            1u);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].truncated);
  EXPECT_EQ(seen[0].size, 0u);
}

TEST(DatagramRingTest, ReadAllWaitsUntilItsDeadlineAndEndsAfterClose) {
  DatagramRing ring(1 << 20);
  int calls = 0;
  const auto count = [&](const DatagramRing::Datagram&) { ++calls; };
  const absl::Time start = absl::Now();
  EXPECT_EQ(ring.ReadAll(start + absl::Milliseconds(20), count), 0u);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(20));
  const sockaddr_in peer = PeerFor(2);
  ring.Write("x", 1, false, reinterpret_cast<const sockaddr*>(&peer), sizeof(peer));
  EXPECT_TRUE(ring.empty()) << "not published yet";
  ring.Close();  // publishes what was written
  EXPECT_FALSE(ring.closed()) << "one datagram is still to be read";
  EXPECT_EQ(ring.ReadAll(absl::InfiniteFuture(), count), 1u);
  EXPECT_TRUE(ring.closed());
  EXPECT_EQ(ring.ReadAll(absl::InfiniteFuture(), count), 0u);  // at once, not forever
  EXPECT_EQ(calls, 1);
}

// A reader with no deadline sleeps until something comes: it does not spin
// (a deadline turned into a wait beyond the clock's range made every wait end
// at once, so the reader used a whole core while it waited).
TEST(DatagramRingTest, AReaderWithoutADeadlineSleepsRatherThanSpins) {
  DatagramRing ring(1 << 20);
  int64_t cpu_ns = 0;
  size_t taken = 0;
  std::thread reader([&] {
    timespec before{};
    timespec after{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &before);
    taken = ring.ReadAll(absl::InfiniteFuture(), [](const DatagramRing::Datagram&) {});
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &after);
    cpu_ns = (after.tv_sec - before.tv_sec) * int64_t{1000000000} + after.tv_nsec - before.tv_nsec;
  });
  // The window the reader waits through (what is measured, not a hand-off).
  const absl::Duration window = absl::Milliseconds(300);
  absl::SleepFor(window);
  const sockaddr_in peer = PeerFor(3);
  ring.Write("x", 1, false, reinterpret_cast<const sockaddr*>(&peer), sizeof(peer));
  ring.Publish();
  reader.join();
  EXPECT_EQ(taken, 1u);
  EXPECT_LT(cpu_ns, absl::ToInt64Nanoseconds(window) / 3) << "the reader used CPU while it waited";
}

}  // namespace
}  // namespace toil::rtlog::internal
