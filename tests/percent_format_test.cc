// Differential test of the leader's Python %-formatting against Python
// itself: tests/python/percent_cases.py prints thousands of cases (fixed and
// random) with the answer python3 gives for each; every one must match.
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "toil/rtlog/leader/format/py_value.h"
#include "toil/rtlog/leader/format/python_format.h"

namespace toil::rtlog::internal {
namespace {

const PyValue* Field(const PyValue& object, absl::string_view key) {
  for (const auto& [name, value] : object.dict) {
    if (name == key) return &value;
  }
  return nullptr;
}

// PERCENT_CASES_RANDOM and PERCENT_CASES_SEED (--test_env) run more cases.
std::string EnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

TEST(PercentFormatTest, MatchesPythonOnEveryCase) {
  const testing::ProcessResult cases =
      testing::RunProcess({"/usr/bin/python3", testing::Runfile("tests/python/percent_cases.py"),
                           "--random=" + EnvOr("PERCENT_CASES_RANDOM", "4000"),
                           "--seed=" + EnvOr("PERCENT_CASES_SEED", "20261123")});
  ASSERT_EQ(cases.exit_code, 0) << cases.err;
  int checked = 0;
  int errors_expected = 0;
  for (absl::string_view line : absl::StrSplit(cases.out, '\n', absl::SkipEmpty())) {
    absl::StatusOr<PyValue> parsed_case = ParsePyValue(line);
    ASSERT_TRUE(parsed_case.ok()) << line;
    const std::string& format = Field(*parsed_case, "format")->text;
    const std::string& args_json = Field(*parsed_case, "args_json")->text;
    const bool ok = Field(*parsed_case, "ok")->boolean;
    absl::StatusOr<PyValue> args = ParsePyValue(args_json);
    ASSERT_TRUE(args.ok()) << args_json;
    absl::StatusOr<std::string> ours = PercentFormat(format, *args);
    if (ok) {
      ASSERT_TRUE(ours.ok()) << "format: " << format << "\nargs: " << args_json
                             << "\nours: " << ours.status();
      EXPECT_EQ(*ours, Field(*parsed_case, "result")->text)
          << "format: " << format << "\nargs: " << args_json;
    } else {
      ++errors_expected;
      const std::string& error = Field(*parsed_case, "error")->text;
      ASSERT_FALSE(ours.ok()) << "Python raised " << error << " for format: " << format
                              << "\nargs: " << args_json << "\nours: " << *ours;
      EXPECT_EQ(std::string(ours.status().message()).substr(0, error.size()), error)
          << "format: " << format << "\nargs: " << args_json << "\nours: " << ours.status();
    }
    ++checked;
    if (HasFailure()) break;
  }
  EXPECT_GT(checked, 4000);
  EXPECT_GT(errors_expected, 100);  // the mismatches are exercised too
}

LogRecord Record(const std::string& msg) {
  LogRecord record;
  record.set_msg(msg);
  return record;
}

TEST(RenderMessageTest, NoOrFalsyArgsLeaveMsgAlone) {
  std::string out;
  EXPECT_TRUE(RenderMessage(Record("100% done %s"), "", "", &out));
  EXPECT_EQ(out, "100% done %s");
  for (const char* falsy : {"[]", "{}", "null", "0", "\"\"", "false"}) {
    EXPECT_TRUE(RenderMessage(Record("50% %d"), falsy, "", &out)) << falsy;
    EXPECT_EQ(out, "50% %d") << falsy;
  }
}

TEST(RenderMessageTest, ArgsAreApplied) {
  std::string out;
  EXPECT_TRUE(RenderMessage(Record("%s=%r (%.1f%%)"), R"(["x", "y", 99.44])", "", &out));
  EXPECT_EQ(out, "x='y' (99.4%)");
  EXPECT_TRUE(RenderMessage(Record("%(who)s ran %(n)d"), R"({"who": "job", "n": 3})", "", &out));
  EXPECT_EQ(out, "job ran 3");
}

TEST(RenderMessageTest, AFormatPythonRejectsIsShownRawAndMarked) {
  std::string out;
  EXPECT_FALSE(RenderMessage(Record("%s and %s"), R"(["only one"])", "", &out));
  EXPECT_EQ(out,
            "%s and %s [unformatted: TypeError: not enough arguments for format "
            "string; args: ['only one']]");
}

TEST(RenderMessageTest, NonStringMsgIsRenderedAsPythonStr) {
  std::string out;
  LogRecord record = Record(R"({"a": [1, 2.0, null]})");
  EXPECT_TRUE(RenderMessage(record, "", R"({"a": [1, 2.0, null]})", &out));
  EXPECT_EQ(out, "{'a': [1, 2.0, None]}");
}

TEST(RenderMessageTest, ProtoArgsWithoutRawTextStillFormat) {
  LogRecord record = Record("%d items, %s");
  auto* list = record.mutable_args()->mutable_list_value();
  list->add_values()->set_number_value(3);
  list->add_values()->set_string_value("ok");
  std::string out;
  EXPECT_TRUE(RenderMessage(record, "", "", &out));
  EXPECT_EQ(out, "3 items, ok");
}

TEST(PyValueTest, FloatReprLikePython) {
  EXPECT_EQ(PyFloatRepr(1e-07), "1e-07");
  EXPECT_EQ(PyFloatRepr(123456789.0), "123456789.0");
  EXPECT_EQ(PyFloatRepr(1e16), "1e+16");
  EXPECT_EQ(PyFloatRepr(1234567890123456.0), "1234567890123456.0");
  EXPECT_EQ(PyFloatRepr(0.0001), "0.0001");
  EXPECT_EQ(PyFloatRepr(-0.0), "-0.0");
  EXPECT_EQ(PyFloatRepr(0.1), "0.1");
  EXPECT_EQ(PyFloatRepr(1.5e300), "1.5e+300");
}

TEST(PyValueTest, WidthsBeyondTheCapAreRefused) {
  absl::StatusOr<PyValue> args = ParsePyValue("[1]");
  EXPECT_FALSE(PercentFormat("%999999999d", *args).ok());
}

}  // namespace
}  // namespace toil::rtlog::internal
