// Tail entries: AppendTailEntry's bytes are protobuf's own for the same
// TailEntry, and a viewer that reads them back (EntryOf) gets the entry the
// leader's sinks got: the JSON-lines sink writes the same line for both.
#include "toil/rtlog/sinks/tail_entry.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/log_control.pb.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/sinks/json_line.h"
#include "toil/rtlog/sinks/json_lines_sink.h"

namespace toil::rtlog {
namespace {

// Records of each kind a leader sees, and what its sinks are told of them:
// entries that own what they refer to, as JsonLineReader's are.
using Case = ReadLine;

std::vector<Case> Cases() {
  std::vector<Case> cases(6);
  // A C++ job's record, signed.
  cases[0].record.set_msg("aligned 6354 reads");
  cases[0].record.set_levelno(20);
  cases[0].record.set_levelname("INFO");
  cases[0].record.set_pathname("examples/demo_job.cc");
  cases[0].record.set_lineno(35);
  cases[0].record.set_created(1796160016.5888336);
  cases[0].record.set_thread(uint64_t{1} << 60);
  cases[0].record.set_hostname("node7");
  cases[0].record.set_job("align-2");
  cases[0].record.set_seq(12);
  cases[0].record.set_stream(3455126473187574747u);
  cases[0].message = cases[0].record.msg();
  cases[0].sender = "10.0.0.7:40312";
  cases[0].authenticity = Authenticity::kSigned;
  // A Python job's record: a %-format and its args, accepted unsigned.
  cases[1].record.set_msg("%s of %d chunks");
  cases[1].record.set_levelno(30);
  cases[1].message = "3 of 10 chunks";
  cases[1].sender = "[::1]:5000";
  cases[1].raw_args = R"(["3", 10])";
  cases[1].authenticity = Authenticity::kUnsigned;
  // One whose args did not format.
  cases[2].record.set_msg("%d%%");
  cases[2].message = "%d%% (args: [\"x\"])";
  cases[2].formatted = false;
  cases[2].raw_args = R"(["x"])";
  // RT_LOG in the leader itself: no sender address, nothing set.
  cases[3].sender = "local";
  // A message rendered empty from a msg that is not.
  cases[4].record.set_msg("%s");
  cases[4].raw_args = R"([""])";
  // Long, and not ASCII.
  cases[5].record.set_msg(absl::StrCat("naïve ünïcödé ✓ ", std::string(100000, 'x')));
  cases[5].message = cases[5].record.msg();
  cases[5].record.set_exc_text("Traceback (most recent call last):\n  ...");
  return cases;
}

// What protobuf makes of the same entry.
v1::TailEntry Protobufs(const Case& c) {
  v1::TailEntry entry;
  *entry.mutable_record() = c.record;
  if (c.message != c.record.msg()) entry.set_message(c.message);
  entry.set_unformatted(!c.formatted);
  entry.set_sender(c.sender);
  entry.set_raw_args(c.raw_args);
  entry.set_authenticity(c.authenticity == Authenticity::kSigned     ? v1::TailEntry::SIGNED
                         : c.authenticity == Authenticity::kUnsigned ? v1::TailEntry::UNSIGNED
                                                                     : v1::TailEntry::NOT_CHECKED);
  return entry;
}

// ... as TailResponse.entries' element.
std::string ProtobufBytes(const Case& c) {
  v1::TailResponse response;
  response.add_entries(Protobufs(c).SerializeAsString());
  return response.SerializeAsString();
}

std::string Line(const LogEntry& entry) {
  std::string line;
  JsonLinesSink::AppendLine(entry, &line);
  return line;
}

TEST(TailEntryTest, TheBytesAreProtobufsOwn) {
  for (const Case& c : Cases()) {
    std::string bytes;
    AppendTailEntry(c.entry(), &bytes);
    EXPECT_EQ(bytes, ProtobufBytes(c)) << c.record.msg().substr(0, 40);
  }
}

TEST(TailEntryTest, AViewerGetsTheEntryTheLeadersSinksGot) {
  std::string bytes;
  std::string lines;
  for (const Case& c : Cases()) {
    AppendTailEntry(c.entry(), &bytes);
    lines += Line(c.entry());
  }
  v1::TailResponse response;
  ASSERT_TRUE(response.ParseFromString(bytes));
  ASSERT_EQ(response.entries_size(), static_cast<int>(Cases().size()));
  // Read back with one reader (its memory reused from record to record),
  // and by protobuf's own parser.
  TailEntryReader reader;
  std::string read_back;
  std::string parsed;
  for (const std::string& entry : response.entries()) {
    absl::StatusOr<LogEntry> read = reader.Read(entry);
    ASSERT_TRUE(read.ok()) << read.status();
    read_back += Line(*read);
    v1::TailEntry tail;
    ASSERT_TRUE(tail.ParseFromString(entry));
    parsed += Line(EntryOf(tail));
  }
  EXPECT_EQ(read_back, lines);
  EXPECT_EQ(parsed, lines);
  // And the leader's own rendering, for viewers that ask for JSON lines.
  std::string rendered;
  ASSERT_TRUE(AppendJsonLines(bytes, &rendered).ok());
  EXPECT_EQ(rendered, lines);
}

TEST(TailEntryTest, TheReaderSkipsFieldsOfALaterVersion) {
  const Case c = Cases()[1];
  v1::TailEntry entry = Protobufs(c);
  // Fields 7 to 10, one of each wire type, as a later TailEntry might have.
  std::string later = entry.SerializeAsString();
  later += std::string("\x38\x96\x01", 3);                 // 7: varint 150
  later += std::string("\x41", 1) + std::string(8, '\1');  // 8: 64-bit
  later += std::string("\x4a\x03new", 5);                  // 9: length-delimited
  later += std::string("\x55", 1) + std::string(4, '\2');  // 10: 32-bit
  TailEntryReader reader;
  absl::StatusOr<LogEntry> read = reader.Read(later);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(Line(*read), Line(c.entry()));
  // A group (wire type 3), or bytes cut short, is not an entry.
  EXPECT_FALSE(reader.Read(entry.SerializeAsString() + "\x3b").ok());
  std::string cut = entry.SerializeAsString();
  cut.pop_back();
  EXPECT_FALSE(reader.Read(cut).ok());
}

TEST(TailEntryTest, BytesThatAreNotEntriesAreAnError) {
  std::string out;
  EXPECT_FALSE(AppendJsonLines("\x0a\x01x", &out).ok()) << "another field";
  std::string cut;
  AppendTailEntry(Cases()[0].entry(), &cut);
  cut.pop_back();
  EXPECT_FALSE(AppendJsonLines(cut, &out).ok()) << "cut short";
  EXPECT_TRUE(AppendJsonLines("", &out).ok());
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace toil::rtlog
