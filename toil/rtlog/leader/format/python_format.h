// The text of a record's message, as Python's LogRecord.getMessage() renders
// it: `str(msg) % args` when the record has (truthy) args, which records
// from Python jobs do, else `msg` unchanged (records from C++ jobs are
// already formatted).
//
// PercentFormat is Python's `format % args` for JSON-borne args: every
// conversion (s r a d i u x X o e E f F g G c %), the flags -+ #0, width,
// precision, `*` for both, length modifiers (ignored, as by Python) and
// %(key)s mapping keys when args is a dict.
#ifndef TOIL_RTLOG_LEADER_FORMAT_PYTHON_FORMAT_H_
#define TOIL_RTLOG_LEADER_FORMAT_PYTHON_FORMAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/log_record.pb.h"
#include "toil/rtlog/leader/format/py_value.h"

namespace toil::rtlog::internal {

// `format % args`, or the error Python would raise ("TypeError: not enough
// arguments for format string"). `args` is a tuple when it is a list, a
// mapping when it is a dict, else a single value. Widths and precisions
// above kMaxWidth are refused (a hostile record must not make the leader
// allocate gigabytes).
inline constexpr int kMaxWidth = 100000;
absl::StatusOr<std::string> PercentFormat(absl::string_view format, const PyValue& args);

// The message of `record` into `*out`. `raw_args` is the JSON text of the
// record's args as received, when known (it keeps what protobuf's Value
// loses: int vs float, key order); `raw_msg` the JSON text of a `msg` that
// was not a JSON string. Returns false when the format does not apply to the
// args (Python would raise): `*out` then holds the raw msg followed by the
// error and the args, marked as unformatted, so nothing is lost.
bool RenderMessage(const LogRecord& record, absl::string_view raw_args, absl::string_view raw_msg,
                   std::string* out);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_FORMAT_PYTHON_FORMAT_H_
