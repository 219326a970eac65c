// Tests of the LogRecord JSON codec, including a differential test against
// protobuf's own JsonStringToMessage / MessageToJsonString.
#include <cmath>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "toil/rtlog/wire/record_decoder.h"
#include "toil/rtlog/wire/record_encoder.h"

namespace toil::rtlog::internal {
namespace {

using ::google::protobuf::util::JsonParseOptions;
using ::google::protobuf::util::JsonStringToMessage;
using ::google::protobuf::util::MessageDifferencer;
using ::google::protobuf::util::MessageToJsonString;
using ::testing::HasSubstr;

LogRecord TypicalRecord() {
  LogRecord r;
  r.set_name("toil-rt");
  r.set_msg("aligned 1000 reads in 3.2 s \"quoted\" \\ tab\t é 𝄞");
  r.set_levelname("INFO");
  r.set_levelno(20);
  r.set_pathname("examples/demo_job.cc");
  r.set_filename("demo_job.cc");
  r.set_module("demo_job");
  r.set_lineno(42);
  r.set_func_name("main");
  r.set_created(1763920000.123456);
  r.set_msecs(123.456);
  r.set_relative_created(17.5);
  r.set_process(4242);
  r.set_process_name("demo_job");
  r.set_thread(140234567890123ULL);
  r.set_thread_name("worker-1");
  r.set_hostname("node7");
  r.set_job("align/3");
  return r;
}

LogRecord ParseWithProtobuf(const std::string& json) {
  LogRecord r;
  JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = JsonStringToMessage(json, &r, options);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return r;
}

void ExpectSame(const LogRecord& a, const LogRecord& b) {
  MessageDifferencer differencer;
  std::string report;
  differencer.ReportDifferencesToString(&report);
  EXPECT_TRUE(differencer.Compare(a, b)) << report;
}

TEST(RecordCodecTest, EncodedRecordParsesWithProtobufToTheSameRecord) {
  const LogRecord record = TypicalRecord();
  std::string json;
  EncodeRecord(record, &json);
  ExpectSame(ParseWithProtobuf(json), record);
}

TEST(RecordCodecTest, DecodesWhatProtobufPrints) {
  LogRecord record = TypicalRecord();
  record.mutable_args()->mutable_list_value()->add_values()->set_number_value(3);
  std::string json;
  ASSERT_TRUE(MessageToJsonString(record, &json).ok());
  RecordDecoder decoder;
  LogRecord decoded;
  ASSERT_TRUE(decoder.Decode(json, &decoded).ok()) << json;
  ExpectSame(decoded, record);
}

TEST(RecordCodecTest, WritesPythonAttributeNamesAndNumbers) {
  std::string json;
  EncodeRecord(TypicalRecord(), &json);
  EXPECT_THAT(json, HasSubstr("\"funcName\":\"main\""));
  EXPECT_THAT(json, HasSubstr("\"processName\":\"demo_job\""));
  EXPECT_THAT(json, HasSubstr("\"exc_text\":\"\""));
  // thread is a JSON number, not the string protobuf would print.
  EXPECT_THAT(json, HasSubstr("\"thread\":140234567890123,"));
  EXPECT_THAT(json, HasSubstr("\"created\":1763920000.123456,"));
}

TEST(RecordCodecTest, InvalidUtf8IsReplacedSoTheJsonStaysValid) {
  LogRecord record;
  record.set_msg(std::string("bad \xff\xfe byte, cut \xe2\x82", 19));
  std::string json;
  EncodeRecord(record, &json);
  RecordDecoder decoder;
  LogRecord decoded;
  ASSERT_TRUE(decoder.Decode(json, &decoded).ok()) << json;
  // Each byte that is not part of a valid sequence becomes one U+FFFD.
  EXPECT_EQ(decoded.msg(), "bad \xEF\xBF\xBD\xEF\xBF\xBD byte, cut \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(RecordCodecTest, AcceptsProtoFieldNamesNullsAndStringIntegers) {
  RecordDecoder decoder;
  LogRecord r;
  ASSERT_TRUE(decoder
                  .Decode(R"({"func_name":"f","lineno":"12","thread":"18446744073709551615",
                   "exc_text":null,"created":"NaN","msecs":1.0e2,"unknown":{"a":[1,{"b":null}]}})",
                          &r)
                  .ok());
  EXPECT_EQ(r.func_name(), "f");
  EXPECT_EQ(r.lineno(), 12);
  EXPECT_EQ(r.thread(), 18446744073709551615ULL);
  EXPECT_TRUE(std::isnan(r.created()));
  EXPECT_EQ(r.msecs(), 100.0);
}

TEST(RecordCodecTest, RejectsWhatProtobufRejects) {
  RecordDecoder decoder;
  LogRecord r;
  const char* const bad[] = {
      "",
      "[]",
      "{",
      R"({"lineno": 1.5})",
      R"({"lineno": 3000000000})",
      R"({"thread": -1})",
      R"({"levelno": "x"})",
      R"({"msg": "a"} trailing)",
      R"({"unknown": [1, 2,, 3]})",
      R"({"unknown": tru})",
  };
  for (const char* json : bad) {
    EXPECT_FALSE(decoder.Decode(json, &r).ok()) << json;
    LogRecord ignored;
    JsonParseOptions options;
    options.ignore_unknown_fields = true;
    EXPECT_FALSE(JsonStringToMessage(json, &ignored, options).ok()) << json;
  }
}

TEST(RecordCodecTest, KeepsTheRawTextOfArgsAndOfANonStringMsg) {
  RecordDecoder decoder;
  LogRecord r;
  ASSERT_TRUE(
      decoder.Decode(R"({"msg": {"b": 1, "a": 2.0}, "args": [1, 2.0, {"z": 1, "y": 2}]})", &r)
          .ok());
  EXPECT_EQ(decoder.raw_args(), R"([1, 2.0, {"z": 1, "y": 2}])");
  EXPECT_EQ(decoder.raw_msg(), R"({"b": 1, "a": 2.0})");
  EXPECT_EQ(r.args().list_value().values_size(), 3);
  ASSERT_TRUE(decoder.Decode(R"({"msg": "m %s", "args": "x" })", &r).ok());
  EXPECT_EQ(decoder.raw_args(), R"("x")");
  EXPECT_EQ(decoder.raw_msg(), "");
  EXPECT_EQ(r.args().string_value(), "x");
  ASSERT_TRUE(decoder.Decode(R"({"msg": 12})", &r).ok());
  EXPECT_EQ(decoder.raw_msg(), "12");
  EXPECT_FALSE(decoder.Decode(R"({"args": [1, tru]})", &r).ok());
  EXPECT_FALSE(decoder.Decode(R"({"msg": [1, }]})", &r).ok());
}

TEST(RecordCodecTest, LeaderModeKeepsArgsAsTextOnlyAndStillValidates) {
  RecordDecoder full;
  RecordDecoder leader;
  leader.set_decode_args_value(false);
  const std::string json = R"({"msg": "%s %d", "args": ["a", 2.0, {"k": [1]}], "lineno": 3})";
  LogRecord a;
  LogRecord b;
  ASSERT_TRUE(full.Decode(json, &a).ok());
  ASSERT_TRUE(leader.Decode(json, &b).ok());
  EXPECT_EQ(leader.raw_args(), full.raw_args());
  EXPECT_TRUE(a.has_args());
  EXPECT_FALSE(b.has_args());
  a.clear_args();
  ExpectSame(a, b);
  EXPECT_FALSE(leader.Decode(R"({"args": [1, tru]})", &b).ok());
  EXPECT_FALSE(
      leader
          .Decode(std::string("{\"args\":") + std::string(200, '[') + std::string(200, ']') + "}",
                  &b)
          .ok());
}

// What Python's json.dumps writes beyond strict JSON: refused by protobuf's
// semantics (the default), accepted by the leader (python_json), as text,
// in args and in keys it does not know; nowhere else.
TEST(RecordCodecTest, PythonJsonTakesNanInfinityAndHugeIntegers) {
  RecordDecoder strict;
  RecordDecoder leader;
  leader.set_decode_args_value(false);
  leader.set_python_json(true);
  const std::string huge(400, '9');
  const std::string args = "[NaN, Infinity, -Infinity, " + huge + ", -" + huge + ", 1.5]";
  const std::string json =
      R"({"msg": "%s %s %s %d %d %s", "args": )" + args + R"(, "extra": {"x": NaN}, "lineno": 3})";
  LogRecord r;
  EXPECT_FALSE(strict.Decode(json, &r).ok());
  ASSERT_TRUE(leader.Decode(json, &r).ok()) << leader.Decode(json, &r);
  EXPECT_EQ(leader.raw_args(), args);
  EXPECT_EQ(r.lineno(), 3);
  // Elsewhere they are still not numbers.
  EXPECT_FALSE(leader.Decode(R"({"lineno": NaN})", &r).ok());
  EXPECT_FALSE(leader.Decode(R"({"created": )" + huge + "}", &r).ok());
  EXPECT_FALSE(leader.Decode(R"({"args": [Nan]})", &r).ok());
  EXPECT_FALSE(leader.Decode(R"({"args": [007]})", &r).ok());
  // A value that is not Python's: a float beyond range stays refused.
  EXPECT_FALSE(leader.Decode(R"({"args": [1e400]})", &r).ok());
}

// Protobuf's parser tolerates a trailing comma; strict JSON (and Python's
// json.loads) does not, and neither does the decoder.
TEST(RecordCodecTest, RejectsTrailingCommaUnlikeProtobuf) {
  RecordDecoder decoder;
  LogRecord r;
  EXPECT_FALSE(decoder.Decode(R"({"msg": "a",})", &r).ok());
}

TEST(RecordCodecTest, RefusesDeepNesting) {
  RecordDecoder decoder;
  LogRecord r;
  std::string deep = "{\"args\":" + std::string(1000, '[') + std::string(1000, ']') + "}";
  absl::Status status = decoder.Decode(deep, &r);
  EXPECT_FALSE(status.ok());
}

// Random records: printable and non-ASCII text, controls, extreme numbers.
class RandomRecords {
 public:
  explicit RandomRecords(uint32_t seed) : rng_(seed) {}

  std::string Text() {
    static const char* const kPieces[] = {"a",    "Z", " ",  "\"", "\\", "\n", "\t",   "\x01",
                                          "\x1f", "/", "%s", "é",  "€",  "𝄞",  "日本", "\x7f",
                                          "{",    "}", "[",  "]",  ":",  ","};
    std::string text;
    const int n = std::uniform_int_distribution<int>(0, 40)(rng_);
    for (int i = 0; i < n; ++i) {
      text += kPieces[std::uniform_int_distribution<int>(0, std::size(kPieces) - 1)(rng_)];
    }
    return text;
  }

  double Double() {
    switch (std::uniform_int_distribution<int>(0, 5)(rng_)) {
      case 0:
        return 0;
      case 1:
        return std::uniform_real_distribution<double>(0, 2e9)(rng_);
      case 2:
        return std::uniform_real_distribution<double>(-1, 1)(rng_) * 1e-300;
      case 3:
        return std::uniform_real_distribution<double>(-1, 1)(rng_) * 1e300;
      case 4:
        return std::uniform_int_distribution<int>(-1000, 1000)(rng_);
      default:
        return 1e-7;
    }
  }

  int32_t Int32() {
    return std::uniform_int_distribution<int32_t>(std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max())(rng_);
  }

  void Value(google::protobuf::Value* value, int depth) {
    switch (std::uniform_int_distribution<int>(0, depth > 2 ? 3 : 5)(rng_)) {
      case 0:
        value->set_null_value(google::protobuf::NULL_VALUE);
        break;
      case 1:
        value->set_number_value(Double());
        break;
      case 2:
        value->set_string_value(Text());
        break;
      case 3:
        value->set_bool_value(rng_() & 1);
        break;
      case 4: {
        auto* list = value->mutable_list_value();
        for (int i = rng_() % 4; i > 0; --i) Value(list->add_values(), depth + 1);
        break;
      }
      default: {
        auto* fields = value->mutable_struct_value()->mutable_fields();
        for (int i = rng_() % 4; i > 0; --i) Value(&(*fields)[Text()], depth + 1);
      }
    }
  }

  LogRecord Record() {
    LogRecord r;
    r.set_name(Text());
    r.set_msg(Text());
    if (rng_() & 1) Value(r.mutable_args(), 0);
    r.set_levelname(Text());
    r.set_levelno(Int32());
    r.set_pathname(Text());
    r.set_filename(Text());
    r.set_module(Text());
    r.set_lineno(Int32());
    r.set_func_name(Text());
    r.set_created(Double());
    r.set_msecs(Double());
    r.set_relative_created(Double());
    r.set_process(Int32());
    r.set_process_name(Text());
    r.set_thread((static_cast<uint64_t>(rng_()) << 32) | rng_());
    r.set_thread_name(Text());
    r.set_exc_text(Text());
    r.set_stack_info(Text());
    r.set_hostname(Text());
    r.set_job(Text());
    if (rng_() & 1) {
      r.set_seq(rng_() & 1 ? rng_() : ~uint64_t{0} - rng_());
      r.set_stream((static_cast<uint64_t>(rng_()) << 32) | rng_());
    }
    return r;
  }

 private:
  std::mt19937 rng_;
};

TEST(RecordCodecTest, DifferentialAgainstProtobufOverRandomRecords) {
  RandomRecords random(20261123);
  RecordDecoder decoder;
  for (int i = 0; i < 2000; ++i) {
    const LogRecord record = random.Record();
    // Ours -> protobuf's parser.
    std::string ours;
    EncodeRecord(record, &ours);
    ExpectSame(ParseWithProtobuf(ours), record);
    // Protobuf's printer -> our parser.
    std::string theirs;
    ASSERT_TRUE(MessageToJsonString(record, &theirs).ok());
    LogRecord decoded;
    absl::Status status = decoder.Decode(theirs, &decoded);
    ASSERT_TRUE(status.ok()) << status << "\n" << theirs;
    ExpectSame(decoded, record);
    // And our own round trip.
    ASSERT_TRUE(decoder.Decode(ours, &decoded).ok()) << ours;
    ExpectSame(decoded, record);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace toil::rtlog::internal

namespace toil::rtlog::internal {
namespace {

// Found by fuzz/decoder_fuzzer: a document cut short inside `args`, decoded
// after a longer one by the same decoder, made the raw-text span of args end
// before it started (a string_view of negative length). Every prefix of a
// record with args, after the whole record, must be refused cleanly.
TEST(RecordCodecTest, EveryTruncationAfterALongerRecordIsRefused) {
  const std::string whole =
      R"({"name": "case.5", "msg": "values %s %s %( %r", "args": [true, null, )"
      R"([0, "22222two", { "pprocess": 2564}], {"k": [1.5, "x"]}], "levelno": 20})";
  for (bool decode_value : {false, true}) {
    RecordDecoder decoder;
    decoder.set_decode_args_value(decode_value);
    LogRecord record;
    for (size_t cut = 0; cut < whole.size(); ++cut) {
      ASSERT_TRUE(decoder.Decode(whole, &record).ok());
      const absl::Status status = decoder.Decode(whole.substr(0, cut), &record);
      EXPECT_FALSE(status.ok()) << "cut at " << cut;
      EXPECT_LE(decoder.raw_args().size(), cut);
      EXPECT_LE(decoder.raw_msg().size(), cut);
    }
  }
}

}  // namespace
}  // namespace toil::rtlog::internal
