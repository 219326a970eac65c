// Splitting packed datagrams: one record per line, and a one-record
// datagram (even one with newlines between its keys) left whole.
#include "toil/rtlog/wire/packed_datagram.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace toil::rtlog::internal {
namespace {

std::vector<std::string> Split(const std::string& datagram) {
  std::vector<std::string> records;
  ForEachPackedRecord(datagram, [&](size_t offset, size_t size) {
    records.push_back(datagram.substr(offset, size));
  });
  return records;
}

TEST(PackedDatagramTest, SplitsAtEveryLineBetweenObjects) {
  EXPECT_THAT(Split("{\"a\":1}\n{\"b\":\"x\\ny\"}\n{\"c\":{}}"),
              testing::ElementsAre("{\"a\":1}", "{\"b\":\"x\\ny\"}", "{\"c\":{}}"));
}

TEST(PackedDatagramTest, LeavesOneRecordWhole) {
  EXPECT_THAT(Split("{\"a\":1}"), testing::ElementsAre("{\"a\":1}"));
  EXPECT_THAT(Split(""), testing::ElementsAre(""));
  // Pretty-printed, as json.dumps(indent=1) writes it.
  const std::string pretty = "{\n \"a\": {\n  \"b\": [\n   {},\n   {}\n  ]\n },\n \"c\": 1\n}\n";
  EXPECT_THAT(Split(pretty), testing::ElementsAre(pretty));
}

TEST(PackedDatagramTest, ATrailingNewlineStaysWithTheLastRecord) {
  // The decoder takes white space after an object: nothing is lost.
  EXPECT_THAT(Split("{}\n{}\n"), testing::ElementsAre("{}", "{}\n"));
}

}  // namespace
}  // namespace toil::rtlog::internal
