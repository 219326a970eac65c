// Tests of host:port parsing and resolution.
#include "toil/rtlog/common/host_port.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace toil::rtlog::internal {
namespace {

using ::testing::HasSubstr;

TEST(HostPortTest, ParsesIpv4NamesAndBracketedIpv6) {
  absl::StatusOr<HostPort> parsed = ParseHostPort("10.1.2.3:5000");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->host, "10.1.2.3");
  EXPECT_EQ(parsed->port, 5000);
  parsed = ParseHostPort("leader.example:65535");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->host, "leader.example");
  parsed = ParseHostPort("[::1]:1");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->host, "::1");
  EXPECT_EQ(parsed->port, 1);
  EXPECT_EQ(parsed->ToString(), "[::1]:1");
}

TEST(HostPortTest, RejectsWithTheReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty"},
      {"localhost", "no port"},
      {"::1:5000", "must be in brackets"},
      {"[::1]5000", "no ':port' after ']'"},
      {"[::1:5000", "without a closing"},
      {":5000", "no host"},
      {"host:0", "1 to 65535"},
      {"host:65536", "1 to 65535"},
      {"host:+80", "1 to 65535"},
      {"host:http", "1 to 65535"},
  };
  for (const auto& [text, reason] : cases) {
    absl::StatusOr<HostPort> parsed = ParseHostPort(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(reason)) << text;
  }
}

TEST(HostPortTest, ResolvesNumericAddressesAndLocalhost) {
  absl::StatusOr<SocketAddress> v4 = Resolve({"127.0.0.1", 7}, absl::Seconds(2));
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->ToString(), "127.0.0.1:7");
  EXPECT_EQ(v4->port(), 7);
  absl::StatusOr<SocketAddress> v6 = Resolve({"::1", 8}, absl::Seconds(2));
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->ToString(), "[::1]:8");
  EXPECT_TRUE(Resolve({"localhost", 9}, absl::Seconds(5)).ok());
}

TEST(HostPortTest, UnresolvableNameIsAnErrorNotAHang) {
  absl::StatusOr<SocketAddress> address = Resolve({"no-such-host.invalid", 9}, absl::Seconds(2));
  EXPECT_FALSE(address.ok());
}

}  // namespace
}  // namespace toil::rtlog::internal
