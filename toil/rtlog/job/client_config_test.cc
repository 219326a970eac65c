// Tests of reading the job-side configuration from the environment.
#include "toil/rtlog/job/client_config.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace toil::rtlog::internal {
namespace {

using ::testing::HasSubstr;

ClientConfig Read(const std::map<std::string, std::string>& env) {
  return ReadClientConfig([&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(ClientConfigTest, NoLevelMeansOffAndCriticalOnly) {
  const ClientConfig config = Read({{"TOIL_RT_LOGGING_ADDRESS", "127.0.0.1:5"}});
  EXPECT_FALSE(config.realtime);
  EXPECT_EQ(config.threshold, Level::kCritical);
  EXPECT_FALSE(config.leader.has_value());
  EXPECT_TRUE(config.warnings.empty());
}

TEST(ClientConfigTest, LevelWithoutAddressIsLocalOnly) {
  const ClientConfig config = Read({{"TOIL_RT_LOGGING_LEVEL", "debug"}});
  EXPECT_TRUE(config.realtime);
  EXPECT_EQ(config.threshold, Level::kDebug);
  EXPECT_FALSE(config.leader.has_value());
}

TEST(ClientConfigTest, BothSet) {
  const ClientConfig config = Read({{"TOIL_RT_LOGGING_LEVEL", "OFF"},
                                    {"TOIL_RT_LOGGING_ADDRESS", "[::1]:5000"},
                                    {"TOIL_JOB_NAME", "align/3"}});
  EXPECT_EQ(config.threshold, Level::kCritical);
  ASSERT_TRUE(config.leader.has_value());
  EXPECT_EQ(config.leader->host, "::1");
  EXPECT_EQ(config.job_name, "align/3");
}

TEST(ClientConfigTest, BadValuesWarnNamingTheVariableAndValue) {
  ClientConfig config =
      Read({{"TOIL_RT_LOGGING_LEVEL", "noisy"}, {"TOIL_RT_LOGGING_ADDRESS", "127.0.0.1:9"}});
  EXPECT_FALSE(config.realtime);
  EXPECT_FALSE(config.leader.has_value());    // nothing is sent...
  EXPECT_EQ(config.threshold, Level::kInfo);  // ...but the job's own log keeps INFO
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_THAT(config.warnings[0], HasSubstr("TOIL_RT_LOGGING_LEVEL=\"noisy\""));
  EXPECT_THAT(config.warnings[0], HasSubstr("written to stderr only"));

  config = Read({{"TOIL_RT_LOGGING_LEVEL", "INFO"}, {"TOIL_RT_LOGGING_ADDRESS", "leader"}});
  EXPECT_TRUE(config.realtime);
  EXPECT_FALSE(config.leader.has_value());
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_THAT(config.warnings[0], HasSubstr("TOIL_RT_LOGGING_ADDRESS=\"leader\""));
  EXPECT_THAT(config.warnings[0], HasSubstr("stderr only"));
}

TEST(ClientConfigTest, PackedIsASizeTheLeaderReads) {
  EXPECT_EQ(Read({}).packed_bytes, 0u);  // one record per datagram
  EXPECT_EQ(Read({{"TOIL_RT_LOGGING_PACKED", "8192"}}).packed_bytes, 8192u);
  EXPECT_EQ(Read({{"TOIL_RT_LOGGING_PACKED", "0"}}).packed_bytes, 0u);
  for (const char* bad : {"yes", "-1", "100", "70000", ""}) {
    const ClientConfig config = Read({{"TOIL_RT_LOGGING_PACKED", bad}});
    EXPECT_EQ(config.packed_bytes, 0u) << bad;
    ASSERT_EQ(config.warnings.size(), 1u) << bad;
    EXPECT_THAT(config.warnings[0],
                HasSubstr(std::string("TOIL_RT_LOGGING_PACKED=\"") + bad +
                          "\" is not 0 or a size from 1024 to 65507 bytes; records are "
                          "sent one per datagram"));
  }
}

TEST(ClientConfigTest, OverflowIsDropOrWaitWithABound) {
  EXPECT_EQ(Read({}).overflow_wait, absl::ZeroDuration());
  EXPECT_EQ(Read({{"TOIL_RT_LOGGING_OVERFLOW", "drop"}}).overflow_wait, absl::ZeroDuration());
  EXPECT_EQ(Read({{"TOIL_RT_LOGGING_OVERFLOW", "wait"}}).overflow_wait, kDefaultOverflowWait);
  EXPECT_EQ(Read({{"TOIL_RT_LOGGING_OVERFLOW", "wait:30s"}}).overflow_wait, absl::Seconds(30));
  for (const char* bad : {"block", "wait:", "wait:-1s", "wait:soon", ""}) {
    const ClientConfig config = Read({{"TOIL_RT_LOGGING_OVERFLOW", bad}});
    EXPECT_EQ(config.overflow_wait, absl::ZeroDuration()) << bad;
    ASSERT_EQ(config.warnings.size(), 1u) << bad;
    EXPECT_THAT(config.warnings[0],
                HasSubstr(std::string("TOIL_RT_LOGGING_OVERFLOW=\"") + bad + "\" is not"));
  }
}

TEST(ClientConfigTest, AStreamAddressGoesWithALeader) {
  ClientConfig config = Read({{"TOIL_RT_LOGGING_LEVEL", "INFO"},
                              {"TOIL_RT_LOGGING_ADDRESS", "127.0.0.1:9"},
                              {"TOIL_RT_LOGGING_STREAM", "127.0.0.1:10"}});
  ASSERT_TRUE(config.stream.has_value());
  EXPECT_EQ(config.stream->port, 10);
  config = Read({{"TOIL_RT_LOGGING_LEVEL", "INFO"},
                 {"TOIL_RT_LOGGING_ADDRESS", "127.0.0.1:9"},
                 {"TOIL_RT_LOGGING_STREAM", "nowhere"}});
  EXPECT_FALSE(config.stream.has_value());
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_THAT(config.warnings[0], HasSubstr("TOIL_RT_LOGGING_STREAM=\"nowhere\" is not usable"));
  EXPECT_THAT(config.warnings[0], HasSubstr("sent as datagrams"));
}

// A file of `text` with `mode` in the test's temporary directory.
std::string SecretFile(const std::string& name, const std::string& text, mode_t mode) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(text.c_str(), f);
  std::fclose(f);
  chmod(path.c_str(), mode);
  return path;
}

TEST(ClientConfigTest, TheSecretComesFromTheVariableElseFromTheFileItNames) {
  const std::string digits(64, 'a');
  const std::string file = SecretFile("secret", digits + "\n", 0600);
  EXPECT_EQ(Read({{"TOIL_RT_LOGGING_SECRET_FILE", file}}).secret, digits);
  const ClientConfig both = Read(
      {{"TOIL_RT_LOGGING_SECRET", std::string(64, 'b')}, {"TOIL_RT_LOGGING_SECRET_FILE", file}});
  EXPECT_EQ(both.secret, std::string(64, 'b'));
  EXPECT_TRUE(both.warnings.empty());
}

TEST(ClientConfigTest, ASecretFileThatCannotBeUsedIsAWarningAndNoSecret) {
  const std::string shared = SecretFile("shared", std::string(64, 'a'), 0644);
  const ClientConfig open_to_others = Read({{"TOIL_RT_LOGGING_SECRET_FILE", shared}});
  EXPECT_EQ(open_to_others.secret, "");
  ASSERT_EQ(open_to_others.warnings.size(), 1u);
  EXPECT_THAT(open_to_others.warnings[0], HasSubstr("may be read by others"));
  EXPECT_THAT(open_to_others.warnings[0], HasSubstr("sent unsigned"));

  const ClientConfig missing = Read({{"TOIL_RT_LOGGING_SECRET_FILE", shared + ".gone"}});
  EXPECT_EQ(missing.secret, "");
  ASSERT_EQ(missing.warnings.size(), 1u);
  EXPECT_THAT(missing.warnings[0],
              HasSubstr("TOIL_RT_LOGGING_SECRET_FILE: " + shared + ".gone: no such file"));
}

}  // namespace
}  // namespace toil::rtlog::internal
