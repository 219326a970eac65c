// Nothing a sender says reaches a terminal raw, in any command: a job, host
// or process name holding a newline cannot print a line of its own (a
// forged record), and escape sequences, BEL, C1 controls and bidirectional
// overrides in them are shown escaped by the leader's terminal, `tail` and
// `senders`.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/serve_process.h"
#include "tests/test_util.h"

namespace toil {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The raw control sequences in `text`: C0 controls but newline, DEL, C1
// controls (as UTF-8) and the bidirectional overrides.
int RawControls(const std::string& text) {
  int n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto next = [&](size_t k) {
      return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
    };
    if ((c < 0x20 && c != '\n') || c == 0x7f) ++n;
    if (c == 0xc2 && next(1) >= 0x80 && next(1) <= 0x9f) ++n;
    if (c == 0xe2 && next(1) == 0x80 && next(2) >= 0xaa && next(2) <= 0xae) ++n;
    if (c == 0xe2 && next(1) == 0x81 && next(2) >= 0xa6 && next(2) <= 0xa9) ++n;
  }
  return n;
}

// Whether a line of `text` begins as the forged record would.
bool HasForgedLine(const std::string& text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, "05:00:00.000")) return true;
  }
  return false;
}

// A record whose job, host and process name try every trick: a newline
// followed by a whole fake record, an OSC title sequence ended by BEL, a
// screen clear, a C1 CSI and a right-to-left override.
constexpr char kHostile[] =
    R"({"msg":"the real message","levelno":20,"levelname":"INFO","process":7,)"
    R"("job":"evil\n05:00:00.000 CRITICAL [admin node1 pid 1] forged",)"
    R"("hostname":"host\u001b]0;owned\u0007\u009b\u202e",)"
    R"("processName":"proc\u001b[2J\r","name":"logger\nname","filename":"f\n.cc"})";

TEST(TerminalSafetyTest, SenderFieldsAreEscapedInEveryCommand) {
  testing::Serve serve({"--auth=false", "--repeat_window=0"});
  const absl::StatusOr<rtlog::internal::HostPort> host_port =
      rtlog::internal::ParseHostPort(serve.exports().at("TOIL_RT_LOGGING_ADDRESS"));
  ASSERT_TRUE(host_port.ok()) << host_port.status();
  const absl::StatusOr<rtlog::internal::SocketAddress> address =
      rtlog::internal::Resolve(*host_port, absl::Seconds(5));
  ASSERT_TRUE(address.ok()) << address.status();
  testing::UdpSender sender(*address);
  sender.Send(kHostile);
  ASSERT_TRUE(testing::WaitUntil([&] { return serve.Count("records") == 1; }, absl::Seconds(30),
                                 "the record to arrive"));

  std::vector<std::pair<std::string, std::string>> outputs;
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"tail", "--last=5"}, {"senders"}}) {
    const testing::ProcessResult result = serve.Tool(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    outputs.emplace_back(args[0], result.out + result.err);
  }
  const testing::ProcessResult stopped = serve.Stop();
  outputs.emplace_back("serve", stopped.err);
  for (const auto& [command, text] : outputs) {
    EXPECT_EQ(RawControls(text), 0) << command << ":\n" << text;
    EXPECT_FALSE(HasForgedLine(text)) << command << ":\n" << text;
    EXPECT_THAT(text, HasSubstr("evil\\n05:00:00.000 CRITICAL")) << command;
  }
  EXPECT_THAT(stopped.err, HasSubstr("[evil\\n05:00:00.000 CRITICAL [admin node1 pid 1] forged "
                                     "host\\x1b]0;owned\\x07\\u009b\\u202e pid 7 logger\\nname] "
                                     "f\\n.cc:0: the real message\n"));
}

}  // namespace
}  // namespace toil
