// Tests of a LogEntry made from a record the leader only scanned
// (wire/record_view.h): every accessor answers as for the decoded record,
// the record is decoded only when a field outside the view is asked for,
// and the JSON-lines sink writes the same line from either.
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/sinks/json_lines_sink.h"
#include "toil/rtlog/sinks/log_sink.h"
#include "toil/rtlog/wire/record_decoder.h"
#include "toil/rtlog/wire/record_encoder.h"
#include "toil/rtlog/wire/record_scan.h"
#include "toil/rtlog/wire/record_view.h"

namespace toil::rtlog {
namespace {

LogRecord RandomRecord(std::mt19937_64& random) {
  auto text = [&] {
    std::string s;
    const int length = static_cast<int>(random() % 10);
    for (int i = 0; i < length; ++i) {
      s.push_back(random() % 10 == 0 ? "\"\\\n\x01/\x7f"[random() % 6] : 'a' + random() % 26);
    }
    return s;
  };
  LogRecord r;
  r.set_name("toil-rt");
  r.set_msg(random() % 2 == 0 ? text() : text() + " é 𝄞");
  r.set_levelname("INFO");
  r.set_levelno(static_cast<int32_t>(random() % 60));
  r.set_pathname(text() + " é");
  r.set_filename(text());
  r.set_module(text());
  r.set_lineno(static_cast<int32_t>(random()));
  r.set_func_name(text());
  r.set_created(static_cast<double>(random() % 2000000000) + 0.001 * (random() % 1000));
  r.set_msecs(static_cast<double>(random() % 1000));
  r.set_relative_created(1.0 / static_cast<double>(1 + random() % 1000));
  r.set_process(static_cast<int32_t>(random()));
  r.set_process_name(text());
  r.set_thread(random());
  r.set_thread_name(text());
  r.set_exc_text(random() % 4 == 0 ? text() : "");
  r.set_hostname(text());
  r.set_job(random() % 8 == 0 ? "" : text());
  r.set_seq(random() % 4 == 0 ? 0 : random());
  r.set_stream(random() % 4 == 0 ? 0 : random());
  return r;
}

std::string Line(const LogEntry& entry) {
  std::string line;
  JsonLinesSink::AppendLine(entry, &line);
  return line;
}

class LogEntryViewTest : public ::testing::Test {
 protected:
  LogEntryViewTest() {
    decoder_.set_decode_args_value(false);
    decoder_.set_python_json(true);
    view_.decode = [this]() -> const LogRecord& {
      ++decodes_;
      EXPECT_TRUE(decoder_.Decode(view_.json, &lazy_).ok());
      return lazy_;
    };
  }

  internal::RecordDecoder decoder_;
  internal::RecordView view_;
  LogRecord lazy_;
  int decodes_ = 0;
};

TEST_F(LogEntryViewTest, AnswersAsTheDecodedRecordAndDecodesOnlyForOtherFields) {
  std::mt19937_64 random(31337);
  int scanned = 0;
  for (int i = 0; i < 2000; ++i) {
    const LogRecord record = RandomRecord(random);
    std::string json;
    internal::EncodeRecord(record, &json);
    if (!internal::ScanRecord(json, &view_)) continue;
    ++scanned;
    decodes_ = 0;
    const LogEntry from_view(view_, "192.0.2.1:5000", Authenticity::kSigned);
    const LogEntry decoded(record, record.msg(), true, "192.0.2.1:5000", "", Authenticity::kSigned);
    EXPECT_EQ(from_view.job(), decoded.job());
    EXPECT_EQ(from_view.host(), decoded.host());
    EXPECT_EQ(from_view.pid(), decoded.pid());
    EXPECT_EQ(from_view.level(), decoded.level());
    EXPECT_EQ(from_view.levelno(), decoded.levelno());
    EXPECT_EQ(from_view.time(), decoded.time());
    EXPECT_EQ(from_view.thread_id(), decoded.thread_id());
    EXPECT_EQ(from_view.logger_name(), decoded.logger_name());
    EXPECT_EQ(from_view.stream(), decoded.stream());
    EXPECT_EQ(from_view.seq(), decoded.seq());
    EXPECT_EQ(from_view.text_message(), decoded.text_message());
    // The JSON-lines sink copies the record as it arrived: the same line.
    EXPECT_EQ(Line(from_view), Line(decoded)) << json;
    EXPECT_EQ(decodes_, 0) << "nothing above needs the whole record";
    EXPECT_EQ(from_view.process_name(), decoded.process_name());
    EXPECT_EQ(from_view.path(), decoded.path());
    EXPECT_EQ(from_view.function(), decoded.function());
    EXPECT_EQ(from_view.line(), decoded.line());
    EXPECT_EQ(from_view.exc_text(), decoded.exc_text());
    EXPECT_EQ(from_view.thread_name(), decoded.thread_name());
    EXPECT_EQ(decodes_, 1) << "decoded once, on the first field outside the view";
  }
  EXPECT_GT(scanned, 500);
}

}  // namespace
}  // namespace toil::rtlog
