// The stream transport's frames: what is written reads back whole, however
// the bytes are split on the way; anything that is not a frame is refused.
#include "toil/rtlog/wire/stream_frame.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace toil::rtlog::internal {
namespace {

// A header set in place before a body makes the frame AppendFrame writes.
TEST(StreamFrameTest, AHeaderSetInPlaceMakesTheSameFrame) {
  for (const std::string& body : {std::string(), std::string("{\"msg\":\"a\"}"),
                                  std::string(65507, 'x'), std::string(300, '\xff')}) {
    for (uint64_t number : {uint64_t{0}, uint64_t{1}, uint64_t{0x0102030405060708}, ~uint64_t{0}}) {
      std::string expected;
      AppendFrame(FrameType::kRecords, number, body, &expected);
      std::string frame(kFrameHeader, '?');
      frame += body;
      SetFrameHeader(FrameType::kRecords, number, &frame);
      EXPECT_EQ(absl::CEscape(frame.substr(0, kFrameHeader)),
                absl::CEscape(expected.substr(0, kFrameHeader)));
      EXPECT_EQ(frame, expected);
    }
  }
}

TEST(StreamFrameTest, FramesReadBackWholeHoweverTheBytesAreSplit) {
  std::string bytes;
  std::vector<std::string> bodies;
  for (int i = 0; i < 200; ++i) {
    bodies.push_back(std::string(i * 37 % 5000, 'a' + i % 26));
    AppendFrame(i % 3 == 0 ? FrameType::kAck : FrameType::kRecords, 1000 + i, bodies.back(),
                &bytes);
  }
  AppendFrame(FrameType::kEnd, 7, "", &bytes);
  std::mt19937 rng(3);
  StreamFrameReader reader;
  int seen = 0;
  for (size_t at = 0; at < bytes.size();) {
    const size_t piece = std::min<size_t>(bytes.size() - at, 1 + rng() % 3000);
    reader.Add(absl::string_view(bytes).substr(at, piece));
    at += piece;
    while (true) {
      absl::StatusOr<std::optional<Frame>> frame = reader.Next();
      ASSERT_TRUE(frame.ok()) << frame.status();
      if (!frame->has_value()) break;
      if (seen < 200) {
        EXPECT_EQ((*frame)->number, 1000u + seen);
        EXPECT_EQ((*frame)->body, bodies[seen]);
        EXPECT_EQ((*frame)->type, seen % 3 == 0 ? FrameType::kAck : FrameType::kRecords);
      } else {
        EXPECT_EQ((*frame)->type, FrameType::kEnd);
        EXPECT_EQ((*frame)->number, 7u);
      }
      ++seen;
    }
  }
  EXPECT_EQ(seen, 201);
  EXPECT_EQ(reader.pending(), 0u);
}

TEST(StreamFrameTest, WhatIsNotAFrameIsRefused) {
  for (const std::string& bad :
       {std::string("\x00\x00\x00\x01\x01", 5),  // shorter than a header
        std::string("\x00\x01\x00\x0d\x01", 5),  // longer than a frame holds
        std::string("\x00\x00\x00\x09\x09"
                    "12345678",
                    13)}) {  // an unknown type
    StreamFrameReader reader;
    reader.Add(bad);
    EXPECT_FALSE(reader.Next().ok()) << absl::CEscape(bad);
  }
}

// One byte at a time: a frame cut right after its length is not refused for
// a type it does not have yet.
TEST(StreamFrameTest, FramesArriveWholeWhateverTheirBytesCameIn) {
  std::string bytes;
  AppendFrame(FrameType::kRecords, 9, "{\"msg\":\"a\"}", &bytes);
  AppendFrame(FrameType::kAck, 9, "", &bytes);
  StreamFrameReader reader;
  int frames = 0;
  for (char byte : bytes) {
    reader.Add(absl::string_view(&byte, 1));
    absl::StatusOr<std::optional<Frame>> frame = reader.Next();
    ASSERT_TRUE(frame.ok()) << frame.status();
    frames += frame->has_value();
  }
  EXPECT_EQ(frames, 2);
}

TEST(StreamFrameTest, HelloCarriesTheStreamId) {
  std::string bytes;
  AppendFrame(FrameType::kHello, 42, StreamIdBody(0x0123456789abcdefu), &bytes);
  StreamFrameReader reader;
  reader.Add(bytes);
  absl::StatusOr<std::optional<Frame>> frame = reader.Next();
  ASSERT_TRUE(frame.ok() && frame->has_value());
  EXPECT_EQ((*frame)->type, FrameType::kHello);
  EXPECT_EQ((*frame)->number, 42u);
  EXPECT_EQ(StreamIdOf((*frame)->body), 0x0123456789abcdefu);
  EXPECT_EQ(StreamIdOf("short"), 0u);
}

}  // namespace
}  // namespace toil::rtlog::internal
