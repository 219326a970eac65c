// Runs the README's standalone-server snippet (the block after the comment
// that names this file) in bash, exactly as written, with the built
// toil-rtlog first on PATH: it must start a server in the background, send
// a record to it, stop it, and leave nothing running.
#include <signal.h>

#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace toil {
namespace {

using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::Runfile;

// The ```sh block that follows the line mentioning this test's file.
std::string Snippet() {
  const std::string readme = testing::ReadFile(Runfile("README.md"));
  const size_t marker = readme.find("tests/readme_snippet_test.cc runs the next block");
  if (marker == std::string::npos) return "";
  const size_t start = readme.find("```sh\n", marker);
  if (start == std::string::npos) return "";
  const size_t end = readme.find("```\n", start + 6);
  if (end == std::string::npos) return "";
  return readme.substr(start + 6, end - start - 6);
}

// The pid in "serving in the background as pid N", or 0.
pid_t ServerPid(const std::string& err) {
  const std::string words = "in the background as pid ";
  const size_t at = err.find(words);
  if (at == std::string::npos) return 0;
  int pid = 0;
  const size_t from = at + words.size();
  (void)absl::SimpleAtoi(err.substr(from, err.find(';', from) - from), &pid);
  return pid;
}

TEST(ReadmeSnippetTest, TheStandaloneServerStartsInTheBackgroundAndStops) {
  const std::string snippet = Snippet();
  ASSERT_THAT(snippet, HasSubstr("toil-rtlog serve --detach")) << "README block not found";
  const std::string tool = testing::Tool();
  const std::string bin = tool.substr(0, tool.rfind('/'));
  ProcessResult result = testing::RunProcess({"/bin/bash", "-e", "-c", snippet},
                                             {{"PATH", absl::StrCat(bin, ":/usr/bin:/bin")},
                                              {"XDG_RUNTIME_DIR", std::getenv("TEST_TMPDIR")},
                                              {"TOIL_RT_LOGGING_ADDRESS", std::nullopt},
                                              {"TOIL_RT_LOGGING_LEVEL", std::nullopt},
                                              {"TOIL_RT_LOGGING_SECRET", std::nullopt},
                                              {"TOIL_RT_LOGGING_CONTROL", std::nullopt}});
  // RunProcess reads to the end of stderr, which the server shares: it is
  // done only once the server has gone too.
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("has stopped"));
  EXPECT_THAT(result.err, HasSubstr("disk 90% full"));
  EXPECT_THAT(result.err, HasSubstr("stopped by a stop request (toil-rtlog stop); "
                                    "1 record received"));
  const pid_t pid = ServerPid(result.err);
  ASSERT_GT(pid, 0) << result.err;
  EXPECT_TRUE(kill(pid, 0) != 0 ||
              testing::ReadFile(absl::StrCat("/proc/", pid, "/stat")).find(") Z") !=
                  std::string::npos)
      << "the server (pid " << pid << ") still runs";
}

}  // namespace
}  // namespace toil
