// The frames of the stream transport: what a C++ job and a C++ leader say
// to each other over one TLS connection (stream_tls.h), in both directions
// a sequence of frames:
//
//   length (4 bytes, big-endian: of the type and the payload) | type (1 byte) | payload
//
//   kHello    job -> leader  first on every connection: the number of the
//                            first record to come (8 bytes, big-endian),
//                            then the process's stream id (8 bytes); the
//                            records before it were acknowledged before (a
//                            reconnect), so they are not counted lost
//   kRecords  job -> leader  the sequence number of the frame's last record
//                            (8 bytes), then records, one JSON object per
//                            line, as in a packed datagram
//   kAck      leader -> job  a sequence number (8 bytes): every record of the
//                            connection's stream numbered up to it has been
//                            taken in; the job may forget them
//   kEnd      job -> leader  the process ends: the number of its last record
//                            (8 bytes), then the stream id (8 bytes); the
//                            leader counts what never came, acknowledges the
//                            number and closes
//
// A frame is at most kMaxFrame bytes, as a datagram: a record that does not
// fit was cut to fit first (datagram_fit.h). StreamFrameReader takes bytes
// as they come and gives whole frames; anything else (an unknown type, a
// size out of range) is a protocol error, and the connection is closed.
#ifndef TOIL_RTLOG_WIRE_STREAM_FRAME_H_
#define TOIL_RTLOG_WIRE_STREAM_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace toil::rtlog::internal {

enum class FrameType : uint8_t { kRecords = 1, kAck = 2, kEnd = 3, kHello = 4 };

// The length, type and the 8-byte number every frame starts its payload with.
inline constexpr size_t kFrameHeader = 4 + 1 + 8;
// The most a frame holds, header included (a UDP datagram's payload).
inline constexpr size_t kMaxFrame = 65507 + kFrameHeader;

struct Frame {
  FrameType type;
  uint64_t number;         // the last record's, or the acknowledged, or the last
  absl::string_view body;  // kRecords: the records; valid until the next Next()
};

// Appends one frame to `out`.
void AppendFrame(FrameType type, uint64_t number, absl::string_view body, std::string* out);
// Makes `frame`, kFrameHeader bytes of room followed by the body, the frame
// AppendFrame would write for that body (the body is not copied).
void SetFrameHeader(FrameType type, uint64_t number, std::string* frame);
// The 8 bytes of a kHello's or kEnd's body, and back (0 unless 8 bytes).
std::string StreamIdBody(uint64_t stream);
uint64_t StreamIdOf(absl::string_view body);

class StreamFrameReader {
 public:
  // Takes bytes received.
  void Add(absl::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }
  // The next whole frame; nullopt when more bytes are needed; an error when
  // the bytes are not frames.
  absl::StatusOr<std::optional<Frame>> Next();
  // Gives the buffer's memory back when it holds nothing (an idle
  // connection keeps none).
  void ReleaseIfEmpty();
  // Bytes held that are not yet a whole frame.
  size_t pending() const { return buffer_.size() - consumed_; }

 private:
  std::string buffer_;
  size_t consumed_ = 0;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_WIRE_STREAM_FRAME_H_
