// Queued records straight to JSON; see record_json.h.
#include "toil/rtlog/job/record_json.h"

#include "absl/strings/str_cat.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/common/process_info.h"
#include "toil/rtlog/wire/json_writer.h"

namespace toil::rtlog::internal {
namespace {

// Where Level `level` is kept in levels_; -1 for a number that names none.
int LevelSlot(Level level) {
  switch (level) {
    case Level::kTrace:
      return 0;
    case Level::kDebug:
      return 1;
    case Level::kInfo:
      return 2;
    case Level::kWarning:
      return 3;
    case Level::kError:
      return 4;
    case Level::kCritical:
      return 5;
  }
  return -1;
}

std::string LevelText(Level level) {
  std::string text = ",\"levelname\":";
  AppendJsonString(LevelName(level), &text);
  absl::StrAppend(&text, ",\"levelno\":", LevelNumber(level));
  return text;
}

}  // namespace

void RecordJson::Reset(const RecordContext& context) {
  context_ = context;
  process_ = ",\"process\":";
  absl::StrAppend(&process_, context.process_id != 0 ? context.process_id : ProcessId(),
                  ",\"processName\":");
  AppendJsonString(context.process_name.empty() ? ProcessName() : context.process_name, &process_);
  process_.append(",\"thread\":");
  rest_ = ",\"exc_text\":\"\",\"stack_info\":\"\",\"hostname\":";
  AppendJsonString(HostName(), &rest_);
  rest_.append(",\"job\":");
  AppendJsonString(context.job_name, &rest_);
  for (Level level : {Level::kTrace, Level::kDebug, Level::kInfo, Level::kWarning, Level::kError,
                      Level::kCritical}) {
    levels_[LevelSlot(level)] = LevelText(level);
  }
  for (Slots* slots : {&loggers_, &sources_, &functions_, &threads_}) slots->fill(Slot());
}

template <typename Make>
const std::string& RecordJson::Find(Slots& slots, const void* key, Make make) {
  Slot& slot = slots[(reinterpret_cast<uintptr_t>(key) >> 3) % kSlots];
  if (!slot.used || slot.key != key) {
    slot.key = key;
    slot.used = true;
    slot.text.clear();
    make(&slot.text);
  }
  return slot.text;
}

const std::string& RecordJson::Logger(const QueuedRecord& queued) {
  return Find(loggers_, queued.logger_name, [&](std::string* text) {
    text->append("{\"name\":");
    AppendJsonString(LoggerName(queued), text);
    text->append(",\"msg\":");
  });
}

const std::string& RecordJson::Source(const QueuedRecord& queued) {
  return Find(sources_, queued.file, [&](std::string* text) {
    const SourceNames names = SourceNamesOf(queued);
    text->append(",\"pathname\":");
    AppendJsonString(names.path, text);
    text->append(",\"filename\":");
    AppendJsonString(names.file, text);
    text->append(",\"module\":");
    AppendJsonString(names.module, text);
    text->append(",\"lineno\":");
  });
}

const std::string& RecordJson::Function(const QueuedRecord& queued) {
  return Find(functions_, queued.function, [&](std::string* text) {
    text->append(",\"funcName\":");
    AppendJsonString(queued.function ? queued.function : "", text);
    text->append(",\"created\":");
  });
}

const std::string& RecordJson::ThreadAndRest(const QueuedRecord& queued) {
  return Find(threads_, queued.thread_name, [&](std::string* text) {
    text->append(",\"threadName\":");
    AppendJsonString(queued.thread_name ? absl::string_view(*queued.thread_name) : "", text);
    text->append(rest_);
  });
}

absl::string_view RecordJson::Encode(const QueuedRecord& queued, absl::string_view text,
                                     uint64_t seq, uint64_t stream) {
  const int level_slot = LevelSlot(queued.level);
  if (level_slot < 0) odd_level_ = LevelText(queued.level);
  const std::string& level = level_slot >= 0 ? levels_[level_slot] : odd_level_;
  const std::string& logger = Logger(queued);
  const std::string& source = Source(queued);
  const std::string& function = Function(queued);
  const std::string& thread = ThreadAndRest(queued);
  const RecordTimes times = TimesOf(queued, context_);
  // Room for the kept parts, the text at its worst, and the numbers (at
  // most 32 bytes each, with their keys).
  const size_t bound = logger.size() + JsonStringBound(text.size()) + level.size() + source.size() +
                       function.size() + process_.size() + thread.size() + 8 * 64;
  if (buffer_.size() < bound) buffer_.resize(bound);
  char* p = buffer_.data();
  p = WriteJsonRaw(logger, p);
  p = WriteJsonString(text, p);
  p = WriteJsonRaw(level, p);
  p = WriteJsonRaw(source, p);
  p = WriteJsonInt(queued.line, p);
  p = WriteJsonRaw(function, p);
  p = WriteJsonDouble(times.created, p);
  p = WriteJsonRaw(",\"msecs\":", p);
  p = WriteJsonDouble(times.msecs, p);
  p = WriteJsonRaw(",\"relativeCreated\":", p);
  p = WriteJsonDouble(times.relative_created, p);
  p = WriteJsonRaw(process_, p);
  p = WriteJsonUint(queued.thread_id, p);
  p = WriteJsonRaw(thread, p);
  if (seq != 0) {
    p = WriteJsonRaw(",\"seq\":", p);
    p = WriteJsonUint(seq, p);
  }
  if (stream != 0) {
    p = WriteJsonRaw(",\"stream\":", p);
    p = WriteJsonUint(stream, p);
  }
  *p++ = '}';
  return absl::string_view(buffer_.data(), static_cast<size_t>(p - buffer_.data()));
}

}  // namespace toil::rtlog::internal
