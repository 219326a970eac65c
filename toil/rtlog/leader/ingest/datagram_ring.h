// DatagramRing: the hand-off between the leader's receive thread and its
// processing thread, a ring of bytes allocated once.
//
// The receive thread only receives (recvmmsg into a batch of its own) and
// copies each datagram, with its sender's address, into the ring; the
// processing thread takes them out in the order they came and verifies,
// decodes and dispatches them. The ring holds datagrams back to back, so it
// buffers by their real size (several times more of them than the kernel's
// buffer of the same size holds), and its size is fixed: when it is full, the
// receive thread waits, and datagrams wait in the socket's buffer meanwhile,
// where the kernel counts whatever it has to drop. Nothing is dropped between
// the two threads.
//
// One reader thread. Writers: the receive thread, and the stream receiver's
// thread (stream_receiver.h), whose frames of records come in as datagrams
// marked with their connection; a writer holds writer_mutex() over what it
// writes and publishes. The lock is taken once per batch on each side, not
// per datagram. Under load, wake-ups are few: a reader
// that has just taken kGatherAfter bytes or more naps (at most kNap) and is
// woken early only once kWakeBytes are waiting. Light traffic (less than that
// at a time) wakes the reader at once, so a lone record is not delayed.
#ifndef TOIL_RTLOG_LEADER_INGEST_DATAGRAM_RING_H_
#define TOIL_RTLOG_LEADER_INGEST_DATAGRAM_RING_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "absl/time/time.h"

namespace toil::rtlog::internal {

class DatagramRing {
 public:
  // What a frame from a stream connection (stream_receiver.h) is: records
  // (data), its first frame (data: the stream id) or its last (the same).
  enum class StreamEvent : uint8_t { kNone, kRecords, kHello, kEnd };
  struct StreamOrigin {
    StreamEvent event = StreamEvent::kNone;
    uint64_t connection = 0;  // the receiver's id for the connection
    uint64_t number = 0;      // the frame's (stream_frame.h)
  };
  // One datagram as the reader sees it. `data` is writable and followed by
  // RecordDecoder::kPadding spare bytes.
  struct Datagram {
    char* data;
    size_t size;
    bool truncated;  // larger than the receive buffer: the rest is gone
    const sockaddr* peer;
    socklen_t peer_length;
    // Not a datagram but a frame from a stream connection, when its event
    // is not kNone.
    StreamOrigin stream;
  };

  // The most a writer may write at once: any UDP payload, plus one byte so
  // that the receiver can tell a datagram was cut.
  static constexpr size_t kLargestDatagram = 65536;

  // `bytes`: the ring's size, rounded up to a multiple of 64; at least twice
  // the largest datagram's room.
  explicit DatagramRing(size_t bytes);

  // Writer: copies one datagram in, waiting while the ring is too full for
  // it. Readers see it after the next Publish().
  void Write(const char* data, size_t size, bool truncated, const sockaddr* peer,
             socklen_t peer_length, const StreamOrigin* stream = nullptr);
  // Held by a writer over its writes and their Publish, when there may be
  // more than one writer.
  std::mutex& writer_mutex() { return writer_mu_; }
  // Writer: makes what was written visible to the reader.
  void Publish();
  // Writer: nothing more will be written (publishes first).
  void Close();

  // Reader: waits until something is published, or `deadline`, or Close();
  // then calls `take(datagram)` for each published datagram in order, gives
  // their room back, and returns how many it took.
  template <typename Take>
  size_t ReadAll(absl::Time deadline, Take take);
  // Reader: whether nothing is published that ReadAll has not taken.
  bool empty() const;
  // Reader: whether Close() was called and everything was taken.
  bool closed() const;

  static size_t RoomFor(size_t size);  // what a datagram of `size` bytes takes

  static constexpr uint64_t kGatherAfter = 4 << 10;
  static constexpr absl::Duration kNap = absl::Microseconds(500);
  static constexpr uint64_t kWakeBytes = 64 << 10;

 private:
  struct Header;
  static const size_t kHeaderRoom;  // a Header's, rounded up to 8
  // Reader: the published range [*from, *to), waiting as ReadAll says.
  void WaitForPublished(absl::Time deadline, uint64_t* from, uint64_t* to);
  // Reader: the datagram at `position` (skipping a wrap marker) and its room.
  Datagram At(uint64_t* position);
  // Reader: gives back everything before `position`.
  void Release(uint64_t position);
  // Writer: waits until `room` bytes are free from `position_`.
  void WaitForRoom(size_t room);

  const size_t capacity_;
  std::unique_ptr<char[]> bytes_;  // not zeroed: pages are touched as used

  std::mutex writer_mu_;
  mutable std::mutex mu_;
  std::condition_variable published_cv_;
  std::condition_variable released_cv_;
  uint64_t published_ = 0;  // end of what the reader may take
  uint64_t released_ = 0;   // start of what the reader has not given back
  enum class Reader { kBusy, kNapping, kSleeping };
  Reader reader_ = Reader::kBusy;
  bool writer_waiting_ = false;
  bool closing_ = false;

  // The writer's own, unlocked.
  uint64_t position_ = 0;       // where the next datagram goes
  uint64_t known_free_to_ = 0;  // released_ + capacity_, as last seen

  // The reader's own: whether its last ReadAll took kGatherAfter or more.
  bool gather_ = false;
};

template <typename Take>
size_t DatagramRing::ReadAll(absl::Time deadline, Take take) {
  uint64_t position = 0;
  uint64_t end = 0;
  WaitForPublished(deadline, &position, &end);
  const uint64_t start = position;
  size_t taken = 0;
  while (position < end) {
    take(At(&position));
    ++taken;
  }
  if (taken > 0) Release(position);
  gather_ = position - start >= kGatherAfter;
  return taken;
}

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_INGEST_DATAGRAM_RING_H_
