// Tests of ScanRecord against the leader's full decoder: what the scan
// accepts, the decoder accepts and reads the same; what the job side writes
// without escapes in its four plain fields, the scan accepts.
#include "toil/rtlog/wire/record_scan.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/wire/record_decoder.h"
#include "toil/rtlog/wire/record_encoder.h"

namespace toil::rtlog::internal {
namespace {

LogRecord CppRecord() {
  LogRecord r;
  r.set_name("toil-rt");
  r.set_msg("step 7 of 0: aligned 6354 reads in chunk 17, 0.42 s");
  r.set_levelname("INFO");
  r.set_levelno(20);
  r.set_pathname("bench/stream_job.cc");
  r.set_filename("stream_job.cc");
  r.set_module("stream_job");
  r.set_lineno(30);
  r.set_func_name("operator()");
  r.set_created(1796258779.7945642);
  r.set_msecs(794);
  r.set_relative_created(1.661927);
  r.set_process(6625);
  r.set_process_name("stream_job");
  r.set_thread(6629);
  r.set_thread_name("Thread-6629");
  r.set_hostname("node7");
  r.set_job("align/3");
  r.set_seq(1);
  r.set_stream(5166702821866881387ULL);
  return r;
}

std::string Encoded(const LogRecord& record) {
  std::string json;
  EncodeRecord(record, &json);
  return json;
}

// The leader's decoder, as DatagramIngest sets it up.
class ScanTest : public ::testing::Test {
 protected:
  ScanTest() {
    decoder_.set_decode_args_value(false);
    decoder_.set_python_json(true);
  }

  // Scans `json`; when the scan accepts, the decoder must accept and agree
  // on every field the view has. Returns whether the scan accepted.
  bool ScanAgrees(const std::string& json) {
    RecordView view;
    if (!ScanRecord(json, &view)) return false;
    LogRecord record;
    const absl::Status status = decoder_.Decode(json, &record);
    EXPECT_TRUE(status.ok()) << status << "\n" << json;
    if (!status.ok()) return true;
    EXPECT_EQ(view.json, json);
    EXPECT_EQ(view.name, record.name()) << json;
    EXPECT_EQ(view.msg, record.msg()) << json;
    EXPECT_EQ(view.hostname, record.hostname()) << json;
    EXPECT_EQ(view.job, record.job()) << json;
    EXPECT_EQ(view.levelno, record.levelno()) << json;
    EXPECT_EQ(view.process, record.process()) << json;
    EXPECT_EQ(view.created, record.created()) << json;
    EXPECT_EQ(view.thread, record.thread()) << json;
    EXPECT_EQ(view.seq, record.seq()) << json;
    EXPECT_EQ(view.stream, record.stream()) << json;
    EXPECT_FALSE(record.has_args()) << json;
    const uint64_t numbers[3] = {record.thread(), record.seq(), record.stream()};
    for (int i = 0; i < 3; ++i) {
      const RecordView::Span span = view.uint64_spans[i];
      if (span.begin == span.end) {
        EXPECT_EQ(numbers[i], 0u) << i << " " << json;
        continue;
      }
      EXPECT_EQ(json.substr(span.begin, span.end - span.begin), absl::StrCat(numbers[i]));
    }
    return true;
  }

  RecordDecoder decoder_;
};

TEST_F(ScanTest, AcceptsAJobsRecordAndReadsItsFields) {
  EXPECT_TRUE(ScanAgrees(Encoded(CppRecord())));
  LogRecord no_stream = CppRecord();
  no_stream.clear_seq();
  no_stream.clear_stream();
  EXPECT_TRUE(ScanAgrees(Encoded(no_stream)));
  LogRecord extremes = CppRecord();
  extremes.set_levelno(std::numeric_limits<int32_t>::min());
  extremes.set_process(std::numeric_limits<int32_t>::max());
  extremes.set_thread(std::numeric_limits<uint64_t>::max());
  extremes.set_created(-1e300);
  extremes.set_msecs(5e-324);
  EXPECT_TRUE(ScanAgrees(Encoded(extremes)));
}

TEST_F(ScanTest, LeavesTheViewsDecodeAsItWasAndForgetsTheLastStream) {
  RecordView view;
  LogRecord decoded;
  view.decode = [&]() -> const LogRecord& { return decoded; };
  ASSERT_TRUE(ScanRecord(Encoded(CppRecord()), &view));
  LogRecord no_stream = CppRecord();
  no_stream.clear_seq();
  no_stream.clear_stream();
  ASSERT_TRUE(ScanRecord(Encoded(no_stream), &view));
  EXPECT_EQ(view.seq, 0u);
  EXPECT_EQ(view.stream, 0u);
  EXPECT_EQ(view.uint64_spans[2].begin, view.uint64_spans[2].end);
  ASSERT_TRUE(view.decode);
  EXPECT_EQ(&view.decode(), &decoded);
}

TEST_F(ScanTest, EscapesAreLeftToTheDecoderOnlyInThePlainFields) {
  LogRecord other = CppRecord();
  other.set_pathname("a\\b \"c\"\n\t\x01 é 𝄞 \xff");
  other.set_exc_text("Traceback:\n  line 1\n");
  EXPECT_TRUE(ScanAgrees(Encoded(other)));
  using Set = void (*)(LogRecord&);
  for (Set set :
       {+[](LogRecord& r) { r.set_name("said \"hi\""); },
        +[](LogRecord& r) { r.set_msg("said \"hi\""); },
        +[](LogRecord& r) { r.set_hostname("a\tb"); }, +[](LogRecord& r) { r.set_job("a\\b"); }}) {
    LogRecord plain = CppRecord();
    set(plain);
    EXPECT_FALSE(ScanAgrees(Encoded(plain))) << Encoded(plain);
  }
  LogRecord unicode = CppRecord();
  unicode.set_msg("é 𝄞 ✓");
  EXPECT_TRUE(ScanAgrees(Encoded(unicode)));
}

TEST_F(ScanTest, OtherShapesAreLeftToTheDecoder) {
  const std::string json = Encoded(CppRecord());
  LogRecord nan = CppRecord();
  nan.set_created(std::nan(""));
  std::string reordered = json;
  reordered.replace(reordered.find("\"levelname\""), 11, "\"levelName\"");
  for (const std::string& other :
       {Encoded(nan), reordered, json + "\n", " " + json, json.substr(0, json.size() - 1),
        absl::StrCat("{\"args\":[1],", json.substr(1)),
        absl::StrCat(json.substr(0, json.size() - 1), ",\"hmac\":\"00\"}"), std::string("{}"),
        std::string()}) {
    EXPECT_FALSE(ScanAgrees(other)) << other;
  }
}

// Numbers in every form JSON has, and some it has not, in each numeric field.
TEST_F(ScanTest, NumbersTheScanTakesReadAsTheDecoderReadsThem) {
  const std::string json = Encoded(CppRecord());
  const std::vector<std::string> numbers = {
      "0", "-0", "7", "-7", "007", "1.5", "-1.5e3", "1e400", "1e-400", "2147483647", "2147483648",
      "-2147483648", "-2147483649", "18446744073709551615", "18446744073709551616", "1.", ".5",
      "1e", "+1", "0x10", "1E+2", "\"7\"", "null", "NaN", "true",
      // Long ones: within a double's range without an exponent up to the
      // length the scan takes unconverted, and past it.
      std::string(299, '9'), "-0." + std::string(297, '0') + "1", "1" + std::string(310, '0')};
  int accepted = 0;
  for (const char* key :
       {"\"levelno\":", "\"lineno\":", "\"created\":", "\"msecs\":", "\"relativeCreated\":",
        "\"process\":", "\"thread\":", "\"seq\":", "\"stream\":"}) {
    const size_t at = json.find(key) + std::strlen(key);
    const size_t end = json.find_first_of(",}", at);
    for (const std::string& number : numbers) {
      const std::string changed = json.substr(0, at) + number + json.substr(end);
      accepted += ScanAgrees(changed);
    }
  }
  EXPECT_GT(accepted, 40);  // the valid forms were taken, not only refused
}

// Every single-byte change and every cut of a record: when the scan takes
// the result, the decoder takes it and reads the same.
TEST_F(ScanTest, EveryByteChangedOrCutStillAgreesWithTheDecoder) {
  LogRecord with_text = CppRecord();
  with_text.set_func_name("f \"x\" é");
  const std::string json = Encoded(with_text);
  const std::string replacements = std::string("\"\\/{}:,0-9.eEnu \x01\x7f") + "\xc3\xa9\xff";
  int accepted = 0;
  for (size_t i = 0; i < json.size(); ++i) {
    for (char c : replacements) {
      std::string changed = json;
      changed[i] = c;
      accepted += ScanAgrees(changed);
    }
    accepted += ScanAgrees(json.substr(0, i));
    accepted += ScanAgrees(json.substr(0, i) + json.substr(i + 1));
  }
  EXPECT_GT(accepted, 500);
}

// Random records as the job side writes them: accepted exactly when the
// plain fields have nothing to escape and the doubles are finite.
TEST_F(ScanTest, RandomJobRecordsAreTakenWhenTheirPlainFieldsNeedNoEscape) {
  std::mt19937_64 random(20261203);
  const std::string alphabet = std::string("ab \"\\/\n\t\x01\x1f\x7f") + "é𝄞\xff\xc3";
  auto text = [&] {
    std::string s;
    const int length = static_cast<int>(random() % 12);
    for (int i = 0; i < length; ++i) {
      // Mostly letters, so that many records need no escape.
      s.push_back(random() % 16 == 0 ? alphabet[random() % alphabet.size()] : 'a' + random() % 26);
    }
    return s;
  };
  auto needs_escape = [](const std::string& s) {
    for (unsigned char c : s) {
      if (c == '"' || c == '\\' || c < 0x20) return true;
    }
    return false;
  };
  int taken = 0;
  for (int i = 0; i < 3000; ++i) {
    LogRecord r = CppRecord();
    r.set_name(text());
    r.set_msg(text());
    r.set_hostname(text());
    r.set_job(text());
    r.set_pathname(text());
    r.set_thread_name(text());
    r.set_levelno(static_cast<int32_t>(random()));
    r.set_process(static_cast<int32_t>(random()));
    r.set_thread(random() >> (random() % 64));
    r.set_seq(random() % 3 == 0 ? 0 : random());
    r.set_stream(random() % 3 == 0 ? 0 : random());
    double created;
    uint64_t bits = random();
    std::memcpy(&created, &bits, sizeof(created));
    r.set_created(created);
    const std::string json = Encoded(r);
    // The encoder writes invalid UTF-8 as U+FFFD, so only escapes matter.
    const bool plain = !needs_escape(r.name()) && !needs_escape(r.msg()) &&
                       !needs_escape(r.hostname()) && !needs_escape(r.job());
    const bool accepted = ScanAgrees(json);
    EXPECT_EQ(accepted, plain && std::isfinite(created)) << json;
    taken += accepted;
  }
  EXPECT_GT(taken, 100);
}

}  // namespace
}  // namespace toil::rtlog::internal
