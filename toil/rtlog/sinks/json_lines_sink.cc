// The JSON-lines sink; see json_lines_sink.h.
#include "toil/rtlog/sinks/json_lines_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "toil/rtlog/sinks/fd_writer.h"
#include "toil/rtlog/sinks/output_file.h"
#include "toil/rtlog/wire/json_writer.h"
#include "toil/rtlog/wire/record_encoder.h"
#include "toil/rtlog/wire/record_view.h"

namespace toil::rtlog {

JsonLinesSink::JsonLinesSink(int fd)
    : JsonLinesSink(fd, /*owns_fd=*/false, absl::StrCat("fd ", fd)) {}

JsonLinesSink::JsonLinesSink(int fd, bool owns_fd, std::string what)
    : writer_(std::make_unique<internal::FdWriter>(fd, owns_fd, std::move(what))) {}

JsonLinesSink::~JsonLinesSink() = default;

uint64_t JsonLinesSink::lost_bytes() const { return writer_->lost_bytes(); }
uint64_t JsonLinesSink::lost_lines() const { return writer_->lost_lines(); }

absl::StatusOr<std::unique_ptr<JsonLinesSink>> JsonLinesSink::Open(const std::string& path) {
  absl::StatusOr<int> fd = OpenOutputFile(path);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<JsonLinesSink>(
      new JsonLinesSink(*fd, /*owns_fd=*/true, absl::StrCat("the JSON-lines file ", path)));
}

void JsonLinesSink::Send(const LogEntry& entry) {
  AppendLine(entry, &writer_->buffer());
  writer_->MaybeFlush();
}

namespace {

// The fields of a record the leader did not decode, as it arrived: the
// encoder's (the job side's) keys in its order, and so what
// AppendRecordFields writes, once its 64-bit numbers are quoted.
void AppendViewFields(const internal::RecordView& view, std::string* out) {
  const absl::string_view json = view.json;
  size_t from = 1;  // after the '{'
  for (const internal::RecordView::Span& span : view.uint64_spans) {
    if (span.begin == span.end) continue;
    out->append(json.data() + from, span.begin - from);
    out->push_back('"');
    out->append(json.data() + span.begin, span.end - span.begin);
    out->push_back('"');
    from = span.end;
  }
  out->append(json.data() + from, json.size() - 1 - from);  // up to the '}'
}

// The fields of a decoded record, and its args as they arrived.
void AppendFields(const LogEntry& entry, std::string* out) {
  const LogRecord& record = internal::RecordOf(entry);
  internal::AppendRecordFields(record, out, internal::Uint64Form::kString);
  if (!record.has_args() && !entry.raw_args().empty()) {
    out->append(",\"args\":");  // as it arrived, already valid JSON
    out->append(entry.raw_args().data(), entry.raw_args().size());
  }
}

}  // namespace

void JsonLinesSink::AppendLine(const LogEntry& entry, std::string* line) {
  std::string& out = *line;
  const internal::RecordView* view = internal::ViewOf(entry);
  out.push_back('{');
  if (view != nullptr) {
    AppendViewFields(*view, &out);  // it has no args
  } else {
    AppendFields(entry, &out);
  }
  out.append(",\"message\":");
  if (view != nullptr) {
    // The message is the view's msg, which needed no escape in the record:
    // none here either.
    out.push_back('"');
    out.append(view->msg.data(), view->msg.size());
    out.push_back('"');
  } else {
    internal::AppendJsonString(entry.text_message(), &out);
  }
  if (!entry.message_formatted()) out.append(",\"unformatted\":true");
  out.append(",\"sender\":");
  internal::AppendJsonString(entry.sender(), &out);
  if (entry.authenticity() != Authenticity::kNotChecked) {
    out.append(entry.authenticity() == Authenticity::kSigned ? ",\"signed\":true"
                                                             : ",\"signed\":false");
  }
  out.append("}\n");
}

void JsonLinesSink::Flush() { writer_->Flush(); }

}  // namespace toil::rtlog
