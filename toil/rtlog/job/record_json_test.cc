// RecordJson and AppendRecordCopy against the LogRecord path they stand in
// for (BuildRecord, then EncodeRecord or AppendRecordLine): byte for byte
// the same, for random records whose names, texts and numbers hold what
// JSON and a terminal must escape, taking turns between call sites,
// loggers and threads more than the kept slots hold.
#include "toil/rtlog/job/record_json.h"

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/common/line_format.h"
#include "toil/rtlog/job/record_builder.h"
#include "toil/rtlog/job/record_copies.h"
#include "toil/rtlog/wire/record_encoder.h"

namespace toil::rtlog::internal {
namespace {

// Texts with what JSON escapes (quotes, backslashes, control characters),
// what a terminal must not see raw, UTF-8 valid and not, and plain runs.
class RandomText {
 public:
  explicit RandomText(uint64_t seed) : random_(seed) {}
  std::string Next(size_t most) {
    static const std::vector<std::string> kPieces = {"\"",
                                                     "\\",
                                                     "\n",
                                                     "\t",
                                                     "\x01",
                                                     "\x7f",
                                                     "\xc3\xa9",
                                                     "\xe2\x80\xae",
                                                     "\xff",
                                                     "\xc3",
                                                     "/",
                                                     ".",
                                                     " ",
                                                     "{",
                                                     "}",
                                                     "a",
                                                     "plain text of a few words"};
    std::string text;
    const size_t pieces = random_() % (most + 1);
    for (size_t i = 0; i < pieces; ++i) text += kPieces[random_() % kPieces.size()];
    return text;
  }
  uint64_t operator()() { return random_(); }

 private:
  std::mt19937_64 random_;
};

// Strings that outlive the test, as a record's literals and interned names.
const char* Keep(std::deque<std::string>& kept, std::string text) {
  kept.push_back(std::move(text));
  return kept.back().c_str();
}

std::vector<RecordContext> Contexts(RandomText& text) {
  return {{"align/3", 1'700'000'000'000'000'000, 0, ""},
          {text.Next(6), 1'800'000'000'123'456'789, 4242, text.Next(4)},
          {"", 0, -7, "worker"}};
}

TEST(RecordJsonTest, EncodesWhatTheLogRecordPathEncodes) {
  RandomText text(20261203);
  std::deque<std::string> kept;
  std::vector<const char*> files, functions;
  std::vector<const std::string*> names;
  for (int i = 0; i < 40; ++i) {
    files.push_back(Keep(kept, text.Next(5)));
    functions.push_back(Keep(kept, text.Next(3)));
    kept.push_back(text.Next(3));
    names.push_back(i % 5 == 0 ? nullptr : &kept.back());
  }
  const Level levels[] = {Level::kTrace, Level::kDebug,    Level::kInfo,          Level::kWarning,
                          Level::kError, Level::kCritical, static_cast<Level>(17)};
  for (const RecordContext& context : Contexts(text)) {
    RecordJson json(context);
    for (int i = 0; i < 5000; ++i) {
      QueuedRecord queued;
      queued.level = levels[text() % 7];
      queued.line = static_cast<int>(text());
      queued.file = files[text() % files.size()];
      queued.function = functions[text() % functions.size()];
      // Times up to 2^62 ns (year 2116), as a clock gives them: the
      // difference from logging's start fits in 64 bits.
      queued.time_ns = static_cast<int64_t>(text() >> (2 + text() % 62));
      queued.thread_id = text() >> (text() % 64);
      queued.thread_name = names[text() % names.size()];
      queued.logger_name = names[text() % names.size()];
      const std::string message = text.Next(30);
      const uint64_t seq = text() % 3 == 0 ? 0 : text() >> (text() % 64);
      const uint64_t stream = text() % 3 == 0 ? 0 : text();
      LogRecord record;
      BuildRecord(queued, message, context, &record);
      record.set_seq(seq);
      record.set_stream(stream);
      std::string expected;
      EncodeRecord(record, &expected);
      ASSERT_EQ(json.Encode(queued, message, seq, stream), expected) << "record " << i;
    }
  }
}

TEST(RecordJsonTest, AProcessForkedSaysItsOwnPid) {
  RecordContext context{"job", 0, 100, "proc"};
  RecordJson json(context);
  QueuedRecord queued;
  EXPECT_NE(json.Encode(queued, "x", 1, 2).find("\"process\":100,"), absl::string_view::npos);
  context.process_id = 101;
  json.Reset(context);
  EXPECT_NE(json.Encode(queued, "x", 1, 2).find("\"process\":101,"), absl::string_view::npos);
}

TEST(RecordCopyTest, WritesWhatAppendRecordLineWritesForTheLogRecord) {
  RandomText text(7);
  std::deque<std::string> kept;
  LineFormatOptions options = RecordCopyOptions();
  for (LineFormatOptions::Time time :
       {LineFormatOptions::Time::kTimeOfDay, LineFormatOptions::Time::kIso8601Utc}) {
    options.time = time;
    for (const RecordContext& context : Contexts(text)) {
      for (int i = 0; i < 2000; ++i) {
        QueuedRecord queued;
        queued.level = static_cast<Level>(text() % 60);
        queued.line = static_cast<int>(text());
        queued.file = Keep(kept, text.Next(5));
        queued.time_ns = static_cast<int64_t>(text() >> (2 + text() % 12));
        const std::string message = text.Next(30);
        LogRecord record;
        BuildRecord(queued, message, context, &record);
        std::string expected, copy;
        AppendRecordLine(record, message, options, &expected);
        AppendRecordCopy(queued, message, context, options, &copy);
        ASSERT_EQ(copy, expected) << "record " << i;
      }
    }
  }
}

}  // namespace
}  // namespace toil::rtlog::internal
