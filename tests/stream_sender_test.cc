// A job's RecordSender against a real leader (`toil-rtlog serve`), driven
// record by record so that each moment can be looked at.
//
// Frames are acknowledged by the number of their own last record. The
// record that finds a frame full is numbered before that frame is closed,
// and goes into the next frame; numbered by it, the full frame's
// acknowledgement also covered the next frame, which the job then dropped
// unsent when it was acknowledged before being written (a record lost, and
// counted as delivered).
//
// While connected, a job keeps at most StreamClient::kWindowBytes sent and
// not acknowledged before it waits; the rest of its buffer is for a leader
// that is away.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/serve_process.h"
#include "tests/test_util.h"
#include "toil/rtlog/job/client_config.h"
#include "toil/rtlog/job/record_queue.h"
#include "toil/rtlog/job/record_sender.h"
#include "toil/rtlog/job/stream_client.h"

namespace toil::testing {
namespace {

using rtlog::internal::ClientConfig;
using rtlog::internal::QueuedRecord;
using rtlog::internal::RecordSender;
using rtlog::internal::StreamClient;

// A record with `padding` bytes of text besides its number (200: about
// 400 bytes in all, and a frame fills after some 130).
void AddRecord(RecordSender& sender, int i, int padding = 200) {
  QueuedRecord queued;
  queued.level = rtlog::Level::kInfo;
  queued.line = i;
  queued.file = "tests/stream_sender_test.cc";
  const std::string text = absl::StrCat("record ", i, " ", std::string(padding, 'x'));
  queued.original_size = static_cast<uint32_t>(text.size());
  sender.Add(queued, text);
}

// Sets `sender` up as a job of `serve`'s run named `job`, connected.
void Connect(const Serve& serve, const std::string& job, RecordSender& sender) {
  std::map<std::string, std::string> env = serve.exports();
  env["TOIL_JOB_NAME"] = job;
  const ClientConfig config = rtlog::internal::ReadClientConfig([&](const char* name) {
    auto found = env.find(name);
    return found == env.end() ? nullptr : found->second.c_str();
  });
  ASSERT_TRUE(config.stream.has_value());
  sender.Configure(config, {job, absl::ToUnixNanos(absl::Now())});
  sender.Start();
  ASSERT_TRUE(sender.streaming()) << sender.stream_error();
}

TEST(StreamFrameNumberTest, AFullFramesAcknowledgementCoversOnlyItsOwnRecords) {
  Serve serve({"--format=jsonl", "--output=" + TempPath("frames.jsonl")});
  RecordSender sender;
  ASSERT_NO_FATAL_FAILURE(Connect(serve, "frames", sender));
  // Records until one finds the frame full: the frame goes to the leader,
  // and that record starts the next one.
  int added = 0;
  while (sender.counts().sent == 0 && added < 10000) AddRecord(sender, ++added);
  const uint64_t in_first_frame = sender.counts().sent;
  ASSERT_EQ(in_first_frame, static_cast<uint64_t>(added - 1));
  ASSERT_TRUE(WaitUntil(
      [&] {
        sender.PumpStream(absl::Milliseconds(10));
        return sender.acknowledged() > 0;
      },
      absl::Seconds(30), "the leader's acknowledgement of the first frame"));
  EXPECT_EQ(sender.acknowledged(), in_first_frame);
  // The next frame, with the record that found the first one full.
  sender.Send();
  sender.FinishStream(absl::Seconds(5), absl::Seconds(30));
  EXPECT_EQ(sender.counts().unacknowledged, 0u);
  EXPECT_EQ(sender.acknowledged(), static_cast<uint64_t>(added));
  ASSERT_TRUE(WaitUntil([&] { return serve.Count("records") == added; }, absl::Seconds(30),
                        "every record at the leader"));
  const ProcessResult stopped = serve.Stop();
  EXPECT_NE(stopped.err.find(" 0 lost in transit"), std::string::npos) << stopped.err;
}

// A leader that stops answering (SIGSTOP): the job, still connected, waits
// once a window's worth is unacknowledged, rather than filling its whole
// buffer; when the connection is given up (no acknowledgement for
// StreamClient::kStallTimeout) it keeps the rest for the leader, which gets
// every record once it answers again.
TEST(StreamWindowTest, AConnectedJobWaitsOnceAWindowIsUnacknowledged) {
  // Records of about 1.2 KB: the window holds some 1,750, the buffer 3,500.
  constexpr int kPadding = 800;
  constexpr int kRecords = 3000;
  constexpr uint64_t kWindowRecords = StreamClient::kWindowBytes / 1000;
  static_assert(kRecords * 1300 < StreamClient::kDefaultBufferBytes);
  static_assert(kWindowRecords < kRecords);
  Serve serve({"--format=jsonl", "--output=" + TempPath("window.jsonl")});
  RecordSender sender;
  ASSERT_NO_FATAL_FAILURE(Connect(serve, "window", sender));
  ASSERT_EQ(kill(serve.pid(), SIGSTOP), 0);
  std::atomic<bool> added{false};
  uint64_t most_while_connected = 0;  // unacknowledged, on the first connection
  std::thread job([&] {
    for (int i = 1; i <= kRecords; ++i) {
      AddRecord(sender, i, kPadding);
      if (sender.stream_error().empty()) {
        most_while_connected = std::max(most_while_connected, sender.unacknowledged());
      }
    }
    added = true;
  });
  const bool all_added =
      WaitUntil([&] { return added.load(); }, absl::Seconds(120), "every record added");
  kill(serve.pid(), SIGCONT);
  job.join();
  ASSERT_TRUE(all_added);
  EXPECT_GT(most_while_connected, 0u);
  EXPECT_LE(most_while_connected, kWindowRecords) << "records unacknowledged on one connection";
  EXPECT_FALSE(sender.stream_error().empty()) << "the silent connection was never given up";
  sender.Send();
  sender.FinishStream(absl::Seconds(30), absl::Seconds(120));
  EXPECT_EQ(sender.acknowledged(), static_cast<uint64_t>(kRecords));
  EXPECT_EQ(sender.counts().send_failed, 0u);
  ASSERT_TRUE(WaitUntil([&] { return serve.Count("records") == kRecords; }, absl::Seconds(60),
                        "every record at the leader"));
  serve.Stop();
}

}  // namespace
}  // namespace toil::testing
