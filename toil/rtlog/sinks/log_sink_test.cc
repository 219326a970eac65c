// A sink's entry gives every field of the record through its accessors,
// and a time even for a record whose `created` is not a number.
#include "toil/rtlog/sinks/log_sink.h"

#include <limits>

#include "gtest/gtest.h"
#include "proto/log_record.pb.h"

namespace toil::rtlog {
namespace {

TEST(LogEntryTest, EveryFieldThroughAnAccessor) {
  LogRecord record;
  record.set_job("align-3");
  record.set_hostname("node7");
  record.set_process(4242);
  record.set_process_name("align");
  record.set_thread(77);
  record.set_thread_name("worker");
  record.set_name("backup.sh");
  record.set_levelno(25);
  record.set_created(1800000000.25);
  record.set_pathname("src/align.cc");
  record.set_filename("align.cc");
  record.set_lineno(42);
  record.set_func_name("Align");
  record.set_exc_text("Traceback");
  record.set_stack_info("Stack");
  record.set_stream(9);
  record.set_seq(3);
  const LogEntry entry(record, "aligned 5 reads", true, "127.0.0.1:9", "[5]",
                       Authenticity::kSigned);
  EXPECT_EQ(entry.job(), "align-3");
  EXPECT_EQ(entry.host(), "node7");
  EXPECT_EQ(entry.pid(), 4242);
  EXPECT_EQ(entry.process_name(), "align");
  EXPECT_EQ(entry.thread_id(), 77u);
  EXPECT_EQ(entry.thread_name(), "worker");
  EXPECT_EQ(entry.logger_name(), "backup.sh");
  EXPECT_EQ(entry.levelno(), 25);
  EXPECT_EQ(entry.level(), Level::kInfo);
  EXPECT_EQ(entry.time(), absl::FromUnixMillis(1800000000250));
  EXPECT_EQ(entry.path(), "src/align.cc");
  EXPECT_EQ(entry.file(), "align.cc");
  EXPECT_EQ(entry.line(), 42);
  EXPECT_EQ(entry.function(), "Align");
  EXPECT_EQ(entry.exc_text(), "Traceback");
  EXPECT_EQ(entry.stack_info(), "Stack");
  EXPECT_EQ(entry.stream(), 9u);
  EXPECT_EQ(entry.seq(), 3u);
  EXPECT_EQ(entry.text_message(), "aligned 5 reads");
  EXPECT_TRUE(entry.message_formatted());
  EXPECT_EQ(entry.sender(), "127.0.0.1:9");
  EXPECT_EQ(entry.raw_args(), "[5]");
  EXPECT_EQ(entry.authenticity(), Authenticity::kSigned);
  EXPECT_EQ(&internal::RecordOf(entry), &record);
}

TEST(LogEntryTest, ATimeThatIsNotANumberIsTheEpoch) {
  LogRecord record;
  record.set_created(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(LogEntry(record, "", true, "").time(), absl::UnixEpoch());
  record.set_created(1e300);
  EXPECT_EQ(LogEntry(record, "", true, "").time(), absl::InfiniteFuture());
}

}  // namespace
}  // namespace toil::rtlog
