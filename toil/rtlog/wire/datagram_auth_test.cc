// Tests of datagram signatures: verdicts for signed, tampered, other-run and
// unsigned datagrams, and the documented format checked against Python's
// own hmac and hashlib (a real python3 process).
#include "toil/rtlog/wire/datagram_auth.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace toil::rtlog::internal {
namespace {

using ::testing::HasSubstr;
using Verdict = DatagramAuth::Verdict;

constexpr char kRecord[] = R"({"name":"toil-rt","msg":"hello","levelno":20})";

std::unique_ptr<DatagramAuth> Make(const std::string& secret) {
  auto auth = DatagramAuth::FromSecret(secret);
  EXPECT_TRUE(auth.ok()) << auth.status();
  return auth.ok() ? *std::move(auth) : nullptr;
}

TEST(DatagramAuthTest, ASignedDatagramVerifiesAndStaysOneJsonObject) {
  auto auth = Make(*DatagramAuth::NewSecret());
  std::string datagram = kRecord;
  auth->Sign(&datagram);
  EXPECT_EQ(datagram.size(), sizeof(kRecord) - 1 + DatagramAuth::kTrailerBytes);
  EXPECT_THAT(datagram, HasSubstr(",\"hmac\":\"" + auth->key_id() + "."));
  EXPECT_EQ(datagram.back(), '}');
  EXPECT_EQ(auth->Verify(datagram), Verdict::kSigned);
}

TEST(DatagramAuthTest, EveryAlteredByteIsCaught) {
  auto auth = Make(*DatagramAuth::NewSecret());
  std::string signed_datagram = kRecord;
  auth->Sign(&signed_datagram);
  for (size_t i = 0; i < signed_datagram.size(); ++i) {
    std::string altered = signed_datagram;
    altered[i] ^= 0x01;
    EXPECT_NE(auth->Verify(altered), Verdict::kSigned) << "byte " << i;
  }
  // Cut short, or with bytes added in front.
  EXPECT_NE(auth->Verify(signed_datagram.substr(1)), Verdict::kSigned);
  EXPECT_EQ(auth->Verify(" " + signed_datagram), Verdict::kForged);
}

TEST(DatagramAuthTest, VerdictsForOtherRunForgedAndUnsigned) {
  auto ours = Make(*DatagramAuth::NewSecret());
  auto theirs = Make(*DatagramAuth::NewSecret());
  ASSERT_NE(ours->key_id(), theirs->key_id());

  std::string other_run = kRecord;
  theirs->Sign(&other_run);
  EXPECT_EQ(ours->Verify(other_run), Verdict::kOtherRun);

  // A forger who knows our key id (it is on the wire) but not the secret.
  std::string forged = other_run;
  forged.replace(forged.find(theirs->key_id()), 16, ours->key_id());
  EXPECT_EQ(ours->Verify(forged), Verdict::kForged);

  EXPECT_EQ(ours->Verify(kRecord), Verdict::kUnsigned);
  EXPECT_EQ(ours->Verify(""), Verdict::kUnsigned);
  EXPECT_EQ(ours->Verify(R"({"msg":"x","hmac":"short"})"), Verdict::kForged);
}

TEST(DatagramAuthTest, BadSecretsAreRefusedWithTheReason) {
  auto short_secret = DatagramAuth::FromSecret("abcd");
  ASSERT_FALSE(short_secret.ok());
  EXPECT_THAT(short_secret.status().message(), HasSubstr("64 hex digits"));
  EXPECT_THAT(short_secret.status().message(), HasSubstr("has 4 characters"));
  auto not_hex = DatagramAuth::FromSecret(std::string(64, 'g'));
  ASSERT_FALSE(not_hex.ok());
  EXPECT_THAT(not_hex.status().message(), HasSubstr("not only hex digits"));
  // Upper case is the same secret.
  const std::string secret = *DatagramAuth::NewSecret();
  std::string upper = secret;
  for (char& c : upper) c = std::toupper(static_cast<unsigned char>(c));
  EXPECT_EQ(Make(upper)->key_id(), Make(secret)->key_id());
}

TEST(DatagramAuthTest, NewSecretsAreDistinct) {
  std::set<std::string> secrets;
  for (int i = 0; i < 100; ++i) secrets.insert(*DatagramAuth::NewSecret());
  EXPECT_EQ(secrets.size(), 100u);
}

TEST(DatagramAuthTest, TheFormatIsPlainHmacSha256AsDocumented) {
  const std::string secret = *DatagramAuth::NewSecret();
  auto auth = Make(secret);
  std::string datagram = kRecord;
  auth->Sign(&datagram);
  // Python computes the key id and the MAC from docs/reference.md's description.
  const std::string script = R"(
import hashlib, hmac, json, sys
secret = bytes.fromhex(sys.argv[1]); datagram = sys.argv[2].encode()
cut = datagram.rindex(b',"hmac":"')
key_id = hashlib.sha256(b"toil-rtlog key id" + secret).hexdigest()[:16]
mac = hmac.new(secret, datagram[:cut], hashlib.sha256).hexdigest()
record = json.loads(datagram)
print(record["hmac"] == key_id + "." + mac, record["msg"])
)";
  const testing::ProcessResult result =
      testing::RunProcess({"/usr/bin/python3", "-c", script, secret, datagram});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "True hello\n");
}

}  // namespace
}  // namespace toil::rtlog::internal
