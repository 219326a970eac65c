// The text of a record's message, as Python's LogRecord.getMessage() renders
// it: `msg % args` when the record has args (records from Python jobs), else
// `msg` unchanged (records from C++ jobs, already formatted).
#ifndef TOIL_RTLOG_INTERNAL_PYTHON_FORMAT_H_
#define TOIL_RTLOG_INTERNAL_PYTHON_FORMAT_H_

#include <string>

#include "proto/log_record.pb.h"

namespace toil::rtlog::internal {

// Writes the message text into `*out`. Returns false when the format does
// not apply to the args (Python would raise); `*out` then holds the raw msg
// followed by the args, marked as unformatted, so nothing is lost.
bool RenderMessage(const LogRecord& record, std::string* out);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_INTERNAL_PYTHON_FORMAT_H_
