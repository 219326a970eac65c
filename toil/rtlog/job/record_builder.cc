// Queued records as LogRecords; see record_builder.h.
#include "toil/rtlog/job/record_builder.h"

#include "toil/rtlog/base/level.h"
#include "toil/rtlog/common/process_info.h"

namespace toil::rtlog::internal {

absl::string_view LoggerName(const QueuedRecord& queued) {
  return queued.logger_name ? absl::string_view(*queued.logger_name) : "toil-rt";
}

SourceNames SourceNamesOf(const QueuedRecord& queued) {
  SourceNames names;
  names.path = queued.file ? queued.file : "";
  const size_t slash = names.path.rfind('/');
  names.file = slash == absl::string_view::npos ? names.path : names.path.substr(slash + 1);
  const size_t dot = names.file.rfind('.');
  names.module = dot == absl::string_view::npos ? names.file : names.file.substr(0, dot);
  return names;
}

RecordTimes TimesOf(const QueuedRecord& queued, const RecordContext& context) {
  return {static_cast<double>(queued.time_ns) / 1e9,
          static_cast<double>((queued.time_ns / 1000000) % 1000),
          static_cast<double>(queued.time_ns - context.start_time_ns) / 1e6};
}

namespace {

void SetSource(const QueuedRecord& queued, LogRecord* out) {
  const SourceNames names = SourceNamesOf(queued);
  out->set_pathname(names.path.data(), names.path.size());
  out->set_filename(names.file.data(), names.file.size());
  out->set_module(names.module.data(), names.module.size());
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
  const RecordTimes times = TimesOf(queued, context);
  out->set_created(times.created);
  out->set_msecs(times.msecs);
  out->set_relative_created(times.relative_created);
  out->set_process(context.process_id != 0 ? context.process_id : ProcessId());
  out->set_process_name(context.process_name.empty() ? ProcessName() : context.process_name);
  out->set_thread(queued.thread_id);
  if (queued.thread_name != nullptr) out->set_thread_name(*queued.thread_name);
  out->set_hostname(HostName());
  out->set_job(context.job_name);
}

}  // namespace toil::rtlog::internal
