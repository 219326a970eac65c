// The leader's ring of received datagrams; see datagram_ring.h.
#include "toil/rtlog/leader/ingest/datagram_ring.h"

#include <algorithm>
#include <cstring>

#include "absl/time/clock.h"
#include "toil/rtlog/wire/record_decoder.h"

namespace toil::rtlog::internal {
namespace {

constexpr size_t kAlign = 64;

size_t RoundUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

}  // namespace

// What precedes each datagram in the ring (or, with `wrap`, says that the
// next one starts at the ring's beginning).
struct DatagramRing::Header {
  uint32_t size;
  uint8_t truncated;
  uint8_t wrap;
  uint16_t peer_length;
  sockaddr_in6 peer;  // room for an IPv4 or IPv6 address
  StreamOrigin stream;
};

const size_t DatagramRing::kHeaderRoom = (sizeof(Header) + 7) / 8 * 8;

size_t DatagramRing::RoomFor(size_t size) {
  return RoundUp(kHeaderRoom + size + RecordDecoder::kPadding);
}

DatagramRing::DatagramRing(size_t bytes)
    : capacity_(RoundUp(std::max(bytes, 2 * RoomFor(kLargestDatagram)))),
      bytes_(new char[capacity_]) {}

void DatagramRing::Write(const char* data, size_t size, bool truncated, const sockaddr* peer,
                         socklen_t peer_length, const StreamOrigin* stream) {
  if (truncated) size = 0;  // only the fact is kept
  const size_t room = RoomFor(size);
  size_t offset = position_ % capacity_;
  const bool wrap = offset + room > capacity_;
  WaitForRoom(wrap ? capacity_ - offset + room : room);
  if (wrap) {
    Header marker{};
    marker.wrap = 1;
    std::memcpy(bytes_.get() + offset, &marker, sizeof(marker));
    position_ += capacity_ - offset;
    offset = 0;
  }
  Header header{};
  header.size = static_cast<uint32_t>(size);
  header.truncated = truncated;
  header.peer_length = static_cast<uint16_t>(std::min<size_t>(peer_length, sizeof(header.peer)));
  std::memcpy(&header.peer, peer, header.peer_length);
  header.stream = stream != nullptr ? *stream : StreamOrigin{};
  std::memcpy(bytes_.get() + offset, &header, sizeof(header));
  std::memcpy(bytes_.get() + offset + kHeaderRoom, data, size);
  position_ += room;
}

void DatagramRing::WaitForRoom(size_t room) {
  if (position_ + room <= known_free_to_) return;
  std::unique_lock<std::mutex> lock(mu_);
  published_ = position_;  // the reader cannot give back what it cannot see
  if (reader_ != Reader::kBusy) published_cv_.notify_one();
  while (position_ + room > released_ + capacity_) {
    writer_waiting_ = true;
    released_cv_.wait(lock);
  }
  writer_waiting_ = false;
  known_free_to_ = released_ + capacity_;
}

void DatagramRing::Publish() {
  std::lock_guard<std::mutex> lock(mu_);
  published_ = position_;
  if (reader_ == Reader::kSleeping ||
      (reader_ == Reader::kNapping && published_ - released_ >= kWakeBytes)) {
    published_cv_.notify_one();
  }
}

void DatagramRing::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  published_ = position_;
  closing_ = true;
  published_cv_.notify_one();
}

void DatagramRing::WaitForPublished(absl::Time deadline, uint64_t* from, uint64_t* to) {
  std::unique_lock<std::mutex> lock(mu_);
  if (gather_ && !closing_ && published_ - released_ < kWakeBytes) {
    // Caught up under load: let more gather for a moment rather than wake
    // for each batch.
    reader_ = Reader::kNapping;
    published_cv_.wait_for(lock, absl::ToChronoNanoseconds(std::min(kNap, deadline - absl::Now())));
  }
  while (published_ == released_ && !closing_) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    reader_ = Reader::kSleeping;
    // At most an hour at a time: a far deadline must not overflow the clock.
    published_cv_.wait_for(lock, absl::ToChronoNanoseconds(std::min(left, absl::Hours(1))));
  }
  reader_ = Reader::kBusy;
  *from = released_;
  *to = published_;
}

DatagramRing::Datagram DatagramRing::At(uint64_t* position) {
  size_t offset = *position % capacity_;
  Header header;
  std::memcpy(&header, bytes_.get() + offset, sizeof(header));
  if (header.wrap) {
    *position += capacity_ - offset;
    offset = 0;
    std::memcpy(&header, bytes_.get(), sizeof(header));
  }
  char* start = bytes_.get() + offset;
  *position += RoomFor(header.size);
  return {start + kHeaderRoom,   header.size,
          header.truncated != 0, reinterpret_cast<const sockaddr*>(start + offsetof(Header, peer)),
          header.peer_length,    header.stream};
}

void DatagramRing::Release(uint64_t position) {
  std::lock_guard<std::mutex> lock(mu_);
  released_ = position;
  if (writer_waiting_) released_cv_.notify_one();
}

bool DatagramRing::empty() const {
  std::lock_guard<std::mutex> lock(mu_);
  return published_ == released_;
}

bool DatagramRing::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closing_ && published_ == released_;
}

}  // namespace toil::rtlog::internal
