// Tests of cutting oversized records to fit one datagram.
#include "toil/rtlog/wire/datagram_fit.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "toil/rtlog/wire/record_decoder.h"
#include "toil/rtlog/wire/record_encoder.h"

namespace toil::rtlog::internal {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

TEST(DatagramFitTest, SmallRecordsAreLeftAlone) {
  LogRecord record;
  record.set_msg("short");
  std::string json;
  EncodeRecord(record, &json);
  EXPECT_FALSE(FitRecordToDatagram(&record, &json));
  EXPECT_EQ(record.msg(), "short");
}

TEST(DatagramFitTest, AMegabyteMessageIsCutAtAUtf8BoundaryAndMarked) {
  LogRecord record;
  std::string msg;
  while (msg.size() < 1000000) msg += "é€𝄞";  // 2-, 3- and 4-byte sequences
  record.set_msg(msg);
  std::string json;
  EncodeRecord(record, &json);
  ASSERT_TRUE(FitRecordToDatagram(&record, &json));
  EXPECT_LE(json.size(), kMaxDatagramBytes);
  EXPECT_GT(json.size(), kMaxDatagramBytes - 200);  // not cut more than needed
  EXPECT_THAT(record.msg(), HasSubstr(" [cut: " + std::to_string(msg.size()) + " bytes, "));
  EXPECT_THAT(record.msg(), EndsWith(" shown]"));
  const std::string kept = record.msg().substr(0, record.msg().find(" [cut: "));
  EXPECT_EQ(msg.compare(0, kept.size(), kept), 0);
  // The JSON is still valid UTF-8 and decodes.
  RecordDecoder decoder;
  LogRecord decoded;
  ASSERT_TRUE(decoder.Decode(json, &decoded).ok());
  EXPECT_EQ(decoded.msg(), record.msg());
}

TEST(DatagramFitTest, EscapingHeavyTextAndSeveralBigFieldsStillFit) {
  LogRecord record;
  record.set_msg(std::string(200000, '\x01'));  // six bytes each in JSON
  record.set_exc_text(std::string(100000, '"'));
  record.set_stack_info(std::string(50000, 's'));
  std::string json;
  EncodeRecord(record, &json);
  ASSERT_TRUE(FitRecordToDatagram(&record, &json));
  EXPECT_LE(json.size(), kMaxDatagramBytes);
  EXPECT_THAT(record.msg(), HasSubstr("[cut: 200000 bytes"));
}

}  // namespace
}  // namespace toil::rtlog::internal
