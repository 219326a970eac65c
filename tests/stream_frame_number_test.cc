// A job's frames are acknowledged by the number of their own last record.
// The record that finds a frame full is numbered before that frame is
// closed, and goes into the next frame; numbered by it, the full frame's
// acknowledgement also covered the next frame, which the job then dropped
// unsent when it was acknowledged before being written (a record lost, and
// counted as delivered). Here a real leader (`toil-rtlog serve`) and a
// sender driven record by record, so that the acknowledgement is read at
// that very moment.
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/serve_process.h"
#include "tests/test_util.h"
#include "toil/rtlog/job/client_config.h"
#include "toil/rtlog/job/record_queue.h"
#include "toil/rtlog/job/record_sender.h"

namespace toil::testing {
namespace {

using rtlog::internal::ClientConfig;
using rtlog::internal::QueuedRecord;
using rtlog::internal::RecordSender;

// A record of about 400 bytes: a frame fills after some 130.
void AddRecord(RecordSender& sender, int i) {
  QueuedRecord queued;
  queued.level = rtlog::Level::kInfo;
  queued.line = i;
  queued.file = "tests/stream_frame_number_test.cc";
  const std::string text = absl::StrCat("record ", i, " ", std::string(200, 'x'));
  queued.original_size = static_cast<uint32_t>(text.size());
  sender.Add(queued, text);
}

TEST(StreamFrameNumberTest, AFullFramesAcknowledgementCoversOnlyItsOwnRecords) {
  Serve serve({"--format=jsonl", "--output=" + TempPath("frames.jsonl")});
  std::map<std::string, std::string> env = serve.exports();
  env["TOIL_JOB_NAME"] = "frames";
  const ClientConfig config = rtlog::internal::ReadClientConfig([&](const char* name) {
    auto found = env.find(name);
    return found == env.end() ? nullptr : found->second.c_str();
  });
  ASSERT_TRUE(config.stream.has_value());
  RecordSender sender;
  sender.Configure(config, {"frames", absl::ToUnixNanos(absl::Now())});
  sender.Start();
  ASSERT_TRUE(sender.streaming()) << sender.stream_error();
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

}  // namespace
}  // namespace toil::testing
