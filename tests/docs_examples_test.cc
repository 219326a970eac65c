// The documents' examples, as they are written: every C++ block that names
// examples/snippets_test.cc is, word for word, a region of that file (which
// is compiled and run as a test); and every shell block marked as run by
// this test runs in bash, with the built toil-rtlog first on PATH, and does
// what the document says. The README's standalone-server snippet must leave
// nothing running.
#include <signal.h>

#include <map>
#include <string>
#include <vector>

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

const char* const kDocuments[] = {"README.md",           "docs/user-guide.md",
                                  "docs/reference.md",   "docs/guarantees.md",
                                  "docs/performance.md", "docs/architecture.md"};

// The fenced blocks that follow a line containing `marker`, each with the
// rest of that line.
std::vector<std::pair<std::string, std::string>> BlocksAfter(const std::string& text,
                                                             const std::string& marker) {
  std::vector<std::pair<std::string, std::string>> blocks;
  for (size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
    const std::string rest =
        text.substr(at + marker.size(), text.find('\n', at) - at - marker.size());
    const size_t fence = text.find("```", at);
    const size_t start = text.find('\n', fence) + 1;
    const size_t end = text.find("\n```", start);
    if (fence == std::string::npos || end == std::string::npos) break;
    blocks.emplace_back(rest, text.substr(start, end - start + 1));
  }
  return blocks;
}

// The region of examples/snippets_test.cc named `name`: the lines between
// "// snippet: NAME" and the next "// end", as written.
std::string Snippet(const std::string& name) {
  const std::string file = testing::ReadFile(Runfile("examples/snippets_test.cc"));
  const std::string open = absl::StrCat("// snippet: ", name, "\n");
  const size_t at = file.find(open);
  if (at == std::string::npos) return "";
  const size_t start = at + open.size();
  const size_t close = file.find("// end\n", start);
  if (close == std::string::npos) return "";
  return file.substr(start, file.rfind('\n', close) + 1 - start);
}

TEST(DocsExamplesTest, EveryCppExampleIsCompiledAndRun) {
  int checked = 0;
  for (const char* document : kDocuments) {
    const std::string text = testing::ReadFile(Runfile(document));
    ASSERT_FALSE(text.empty()) << document;
    for (const auto& [rest, block] : BlocksAfter(text, "<!-- examples/snippets_test.cc: ")) {
      const std::string name = rest.substr(0, rest.find(' '));
      const std::string snippet = Snippet(name);
      ASSERT_FALSE(snippet.empty()) << document << ": no snippet " << name;
      EXPECT_EQ(block, snippet) << document << ": the block quoting snippet " << name;
      ++checked;
    }
  }
  EXPECT_GE(checked, 8);
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

// Runs `script` in bash, as it is, in a directory of its own, with the tool
// first on PATH and no leader in the environment.
ProcessResult RunScript(const std::string& script, const std::string& dir) {
  const std::string tool = testing::Tool();
  const std::string bin = tool.substr(0, tool.rfind('/'));
  return testing::RunProcess({"/bin/bash", "-e", "-c", "cd \"$0\" && eval \"$1\"", dir, script},
                             {{"PATH", absl::StrCat(bin, ":/usr/bin:/bin")},
                              {"XDG_RUNTIME_DIR", std::getenv("TEST_TMPDIR")},
                              {"TOIL_RT_LOGGING_ADDRESS", std::nullopt},
                              {"TOIL_RT_LOGGING_LEVEL", std::nullopt},
                              {"TOIL_RT_LOGGING_SECRET", std::nullopt},
                              {"TOIL_RT_LOGGING_CONTROL", std::nullopt}},
                             absl::Seconds(120));
}

TEST(DocsExamplesTest, EveryShellExampleRunsAsWritten) {
  // What each document's run blocks must show, between them, on stdout or
  // stderr.
  const std::map<std::string, std::vector<std::string>> shows = {
      {"README.md",
       {"stdout] plain stdout line", "stderr] plain stderr line", "disk 90% full",
        "stopped by a stop request (toil-rtlog stop); 1 record received"}},
      // Three lines alike but for a number may be folded into one "repeated"
      // line, whichever comes first: the count says all three arrived.
      {"docs/user-guide.md",
       {"hello from sh-", "3 jobs, 0 failed; 3 records received", "low disk",
        "stdout] step 1 of sh-1", "stderr] oops"}},
  };
  int run = 0;
  for (const char* document : kDocuments) {
    const std::string text = testing::ReadFile(Runfile(document));
    const auto blocks =
        BlocksAfter(text, "<!-- tests/docs_examples_test.cc runs the next block in bash");
    std::string shown;
    for (size_t i = 0; i < blocks.size(); ++i) {
      const std::string dir = testing::TempPath(absl::StrCat("doc", run++));
      ASSERT_EQ(system(("mkdir -p " + dir).c_str()), 0);
      const ProcessResult result = RunScript(blocks[i].second, dir);
      // RunProcess reads to the end of stderr, which a detached server
      // shares: it is done only once the server has gone too.
      ASSERT_EQ(result.exit_code, 0) << document << ":\n" << blocks[i].second << result.err;
      absl::StrAppend(&shown, result.out, result.err);
      if (const pid_t pid = ServerPid(result.err); pid > 0) {
        EXPECT_TRUE(kill(pid, 0) != 0 ||
                    testing::ReadFile(absl::StrCat("/proc/", pid, "/stat")).find(") Z") !=
                        std::string::npos)
            << document << ": the server (pid " << pid << ") still runs";
      }
    }
    for (const std::string& line :
         shows.count(document) ? shows.at(document) : std::vector<std::string>{}) {
      EXPECT_THAT(shown, HasSubstr(line)) << document;
    }
  }
  EXPECT_GE(run, 3);
}

}  // namespace
}  // namespace toil
