// Queued records as LogRecords; see record_builder.h.
#include "toil/rtlog/job/record_builder.h"

#include "toil/rtlog/base/level.h"
#include "toil/rtlog/common/process_info.h"

namespace toil::rtlog::internal {
namespace {

// The logger's name; the default one is not interned (queued as null).
absl::string_view LoggerName(const QueuedRecord& queued) {
  return queued.logger_name ? absl::string_view(*queued.logger_name) : "toil-rt";
}

// path, file and module from __FILE__: "src/align.cc", "align.cc", "align".
void SetSource(const QueuedRecord& queued, LogRecord* out) {
  const absl::string_view path = queued.file ? queued.file : "";
  const size_t slash = path.rfind('/');
  const absl::string_view file = slash == absl::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = file.rfind('.');
  const absl::string_view module = dot == absl::string_view::npos ? file : file.substr(0, dot);
  out->set_pathname(path.data(), path.size());
  out->set_filename(file.data(), file.size());
  out->set_module(module.data(), module.size());
  out->set_lineno(queued.line);
  out->set_func_name(queued.function ? queued.function : "");
}

}  // namespace

void BuildRecord(const QueuedRecord& queued, absl::string_view text, const RecordContext& context,
                 LogRecord* out) {
  out->Clear();
  const absl::string_view name = LoggerName(queued);
  out->set_name(name.data(), name.size());
  out->set_msg(text.data(), text.size());
  const absl::string_view level_name = LevelName(queued.level);
  out->set_levelname(level_name.data(), level_name.size());
  out->set_levelno(LevelNumber(queued.level));
  SetSource(queued, out);
  out->set_created(static_cast<double>(queued.time_ns) / 1e9);
  out->set_msecs(static_cast<double>((queued.time_ns / 1000000) % 1000));
  out->set_relative_created(static_cast<double>(queued.time_ns - context.start_time_ns) / 1e6);
  out->set_process(context.process_id != 0 ? context.process_id : ProcessId());
  out->set_process_name(context.process_name.empty() ? ProcessName() : context.process_name);
  out->set_thread(queued.thread_id);
  if (queued.thread_name != nullptr) out->set_thread_name(*queued.thread_name);
  out->set_hostname(HostName());
  out->set_job(context.job_name);
}

}  // namespace toil::rtlog::internal
