// DatagramPacker against the leader's unpacking (packed_datagram.h) and
// signature check (datagram_auth.h): every record comes out once, in order,
// each datagram within its size and correctly signed.
#include "toil/rtlog/wire/datagram_packer.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "toil/rtlog/wire/packed_datagram.h"

namespace toil::rtlog::internal {
namespace {

std::string Json(int i, size_t padding = 0) {
  return absl::StrCat(R"({"msg":"record )", i, std::string(padding, 'x'), R"(","seq":)", i, "}");
}

// Unpacks and verifies what is ready, appending the records to `out`.
void Take(DatagramPacker& packer, DatagramAuth* auth, size_t limit, std::vector<std::string>* out) {
  for (int d = 0; d < packer.ready(); ++d) {
    const std::string& datagram = packer.datagram(d);
    if (limit > 0 && packer.records(d) > 1) EXPECT_LE(datagram.size(), limit);
    std::string unsigned_part = datagram;
    if (auth != nullptr) {
      EXPECT_EQ(auth->Verify(datagram), DatagramAuth::Verdict::kSigned);
      unsigned_part = datagram.substr(0, datagram.rfind(",\"hmac\":\"")) + "}";
    }
    int records = 0;
    ForEachPackedRecord(unsigned_part, [&](size_t offset, size_t size) {
      out->push_back(unsigned_part.substr(offset, size));
      ++records;
    });
    EXPECT_EQ(records, packer.records(d));
  }
  packer.Clear();
}

void RoundTrip(size_t packed_bytes, bool sign, int n, size_t padding) {
  std::unique_ptr<DatagramAuth> auth;
  if (sign) auth = *DatagramAuth::FromSecret(*DatagramAuth::NewSecret());
  DatagramPacker packer(packed_bytes, auth.get());
  std::vector<std::string> got;
  for (int i = 0; i < n; ++i) {
    if (packer.Add(Json(i, i % 7 == 0 ? padding : 0))) {
      EXPECT_GE(packer.ready(), DatagramPacker::kMaxDatagrams);
      EXPECT_LE(packer.ready(), DatagramPacker::kMaxReady);
      Take(packer, auth.get(), packed_bytes, &got);
    }
  }
  packer.Close();
  Take(packer, auth.get(), packed_bytes, &got);
  ASSERT_EQ(got.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(got[i], Json(i, i % 7 == 0 ? padding : 0)) << i;
}

TEST(DatagramPackerTest, OneRecordPerDatagramWithoutPacking) { RoundTrip(0, false, 500, 0); }
TEST(DatagramPackerTest, PackedRecordsUnpackInOrder) {
  RoundTrip(kDefaultPackedBytes, false, 5000, 0);
}
TEST(DatagramPackerTest, PackedAndSigned) { RoundTrip(kDefaultPackedBytes, true, 5000, 0); }
// Records larger than the packed size go alone, whole.
TEST(DatagramPackerTest, ARecordLargerThanThePackedSizeGoesAlone) {
  RoundTrip(kMinPackedBytes, true, 2000, 3000);
}

TEST(DatagramPackerTest, PackingFillsDatagramsToTheirSize) {
  DatagramPacker packer(kDefaultPackedBytes, nullptr);
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(packer.Add(Json(i)));
  packer.Close();
  // 1000 records of about 30 bytes: a handful of datagrams, not 1000.
  EXPECT_LE(packer.ready(), 5);
  EXPECT_GE(packer.ready(), 3);
}

}  // namespace
}  // namespace toil::rtlog::internal
