// What a StreamClient keeps for a leader that is away holds no more memory
// than its records: a frame of a few records (a job that logs slowly sends
// one per batch) does not keep the whole frame's room NewFrame reserved.
#include "toil/rtlog/job/stream_client.h"

#include <malloc.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "toil/rtlog/common/host_port.h"

namespace toil::rtlog::internal {
namespace {

// Bytes the process's malloc has handed out and not taken back.
size_t MallocInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

TEST(StreamClientTest, FramesOfAFewRecordsKeepOnlyWhatTheyTake) {
  {
    // Under a sanitizer, malloc is the sanitizer's, and glibc counts nothing.
    const size_t before = MallocInUse();
    auto probe = std::make_unique<std::vector<char>>(1 << 20, 'x');
    if (MallocInUse() - before < (1 << 20)) {
      GTEST_SKIP()
          << "malloc here is not glibc's (a sanitizer's allocator): its use is not counted";
    }
  }
  absl::StatusOr<SocketAddress> nobody = Resolve(HostPort{"127.0.0.1", 9}, absl::Seconds(1));
  ASSERT_TRUE(nobody.ok()) << nobody.status();
  absl::StatusOr<std::unique_ptr<StreamTlsContext>> tls =
      StreamTlsContext::Create(std::string(64, '7'), StreamTlsContext::kClient);
  ASSERT_TRUE(tls.ok()) << tls.status();
  StreamClient stream(*nobody, std::shared_ptr<StreamTlsContext>(*std::move(tls)), 1,
                      StreamClient::kDefaultBufferBytes);
  constexpr int kFrames = 3000;
  const std::string record(600, 'r');  // about a record's JSON
  const size_t before = MallocInUse();
  for (int i = 1; i <= kFrames; ++i) {
    std::string frame = stream.NewFrame();
    frame += record;
    stream.Add(std::move(frame), i, i, 1);
  }
  ASSERT_FALSE(stream.full());
  EXPECT_EQ(stream.unacknowledged(), static_cast<uint64_t>(kFrames));
  // Each frame's record, header and the bookkeeping of a string: well under
  // 2 KiB (a whole frame's room is 64 KiB).
  EXPECT_LT(MallocInUse() - before, kFrames * size_t{2048});
}

}  // namespace
}  // namespace toil::rtlog::internal
