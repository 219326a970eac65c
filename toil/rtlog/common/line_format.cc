// Human-readable record lines; see line_format.h.
#include "toil/rtlog/common/line_format.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/common/utf8.h"

namespace toil::rtlog::internal {
namespace {

constexpr absl::string_view kContinuation = "    | ";

constexpr char kHex[] = "0123456789abcdef";

// Bidirectional formatting characters that can make text display in an
// order other than the one it has (Trojan Source), and the zero-width marks.
bool IsBidiControl(uint32_t code) {
  return code == 0x061C || code == 0x200E || code == 0x200F || (code >= 0x202A && code <= 0x202E) ||
         (code >= 0x2066 && code <= 0x2069);
}

void AppendByteEscape(unsigned char c, std::string* out) {
  const char escaped[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
  out->append(escaped, 4);
}

absl::string_view LevelColor(Level level) {
  switch (level) {
    case Level::kTrace:
    case Level::kDebug:
      return "\x1b[2m";  // dim
    case Level::kInfo:
      return "\x1b[32m";  // green
    case Level::kWarning:
      return "\x1b[33m";  // yellow
    case Level::kError:
      return "\x1b[31m";  // red
    case Level::kCritical:
      return "\x1b[1;31m";  // bold red
  }
  return "";
}

}  // namespace

namespace {

// AppendTerminalSafe, and AppendTerminalField when `one_line`.
void AppendEscaped(absl::string_view text, absl::string_view indent, bool one_line,
                   std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    // A run of printable ASCII goes out as it is, at once.
    const unsigned char* run = p;
    while (p < end && *p >= 0x20 && *p < 0x7F) ++p;
    if (p > run) {
      out->append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
      continue;
    }
    const unsigned char c = *p;
    if (one_line && (c == '\n' || c == '\r' || c == '\t')) {
      out->push_back('\\');
      out->push_back(c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
      ++p;
    } else if (c == '\n') {
      out->push_back('\n');
      out->append(indent.data(), indent.size());
      ++p;
    } else if (c == '\t') {
      out->push_back('\t');
      ++p;
    } else if (c < 0x80) {  // other C0 controls and DEL
      AppendByteEscape(c, out);
      ++p;
    } else {
      const size_t length = ValidUtf8SequenceLength(p, end);
      if (length == 0) {
        AppendByteEscape(c, out);
        ++p;
        continue;
      }
      const uint32_t code = DecodeUtf8(p, length);
      if ((code >= 0x80 && code <= 0x9F) || IsBidiControl(code)) {
        absl::StrAppendFormat(out, "\\u%04x", code);
      } else {
        out->append(reinterpret_cast<const char*>(p), length);
      }
      p += length;
    }
  }
}

}  // namespace

void AppendTerminalSafe(absl::string_view text, absl::string_view indent, std::string* out) {
  AppendEscaped(text, indent, /*one_line=*/false, out);
}

void AppendTerminalField(absl::string_view text, std::string* out) {
  AppendEscaped(text, "", /*one_line=*/true, out);
}

void AppendSenderLabel(const LogRecord& record, absl::string_view sender, std::string* out) {
  const std::string& who = !record.job().empty() ? record.job() : record.process_name();
  AppendTerminalField(who.empty() ? "?" : who, out);
  out->push_back(' ');
  absl::string_view host = record.hostname();
  if (host.empty()) {
    // The sender's address without its port; "?" for local records.
    host = sender.substr(0, sender.rfind(':'));
    absl::ConsumePrefix(&host, "[");
    absl::ConsumeSuffix(&host, "]");
    if (host.empty() || sender.rfind(':') == absl::string_view::npos) host = "?";
  }
  AppendTerminalField(host, out);
  absl::StrAppend(out, " pid ", record.process());
}

namespace {

// Appends the record's time as `options` asks, with milliseconds.
void AppendRecordTime(double created, const LineFormatOptions& options, std::string* out) {
  if (!std::isfinite(created) || std::fabs(created) >= 1e15) created = 0.0;
  const double whole = std::floor(created);
  const int64_t seconds = static_cast<int64_t>(whole);
  const int millis = std::min(999, static_cast<int>((created - whole) * 1000));
  // Formatting a time is slow: the parts before and after the milliseconds
  // are cached for the second, zone and style they stand for.
  thread_local int64_t cached_seconds = INT64_MIN;
  thread_local std::string cached_zone;
  thread_local LineFormatOptions::Time cached_style;
  thread_local std::string cached_text;
  thread_local std::string cached_suffix;
  if (seconds != cached_seconds || cached_zone != options.time_zone.name() ||
      cached_style != options.time) {
    cached_seconds = seconds;
    cached_zone = options.time_zone.name();
    cached_style = options.time;
    const absl::Time when = absl::FromUnixSeconds(seconds);
    using Time = LineFormatOptions::Time;
    const absl::TimeZone zone =
        options.time == Time::kIso8601Utc ? absl::UTCTimeZone() : options.time_zone;
    cached_text = absl::FormatTime(
        options.time == Time::kTimeOfDay ? "%H:%M:%S" : "%Y-%m-%dT%H:%M:%S", when, zone);
    cached_suffix = options.time == Time::kIso8601      ? absl::FormatTime("%Ez", when, zone)
                    : options.time == Time::kIso8601Utc ? "Z"
                                                        : "";
  }
  out->append(cached_text);
  // ".%03d", by hand: this runs for every record (and every copy a job
  // writes); LineFormatTest holds it to StrFormat.
  const char fraction[4] = {'.', static_cast<char>('0' + millis / 100),
                            static_cast<char>('0' + millis / 10 % 10),
                            static_cast<char>('0' + millis % 10)};
  out->append(fraction, sizeof(fraction));
  out->append(cached_suffix);
  out->push_back(' ');
}

}  // namespace

namespace {

void AppendLevel(int levelno, const LineFormatOptions& options, std::string* out) {
  const Level level = LevelFromNumber(levelno);
  if (options.color) out->append(LevelColor(level).data(), LevelColor(level).size());
  const absl::string_view name = LevelName(level);  // "%-8s", by hand
  out->append(name.data(), name.size());
  if (name.size() < 8) out->append(8 - name.size(), ' ');
  if (options.color) out->append("\x1b[0m");
}

}  // namespace

void AppendNoticeLine(absl::Time when, int levelno, absl::string_view label, absl::string_view text,
                      const LineFormatOptions& options, std::string* out) {
  AppendRecordTime(absl::ToDoubleSeconds(when - absl::UnixEpoch()), options, out);
  AppendLevel(levelno, options, out);
  out->append(" [");
  AppendTerminalField(label, out);
  out->append("] ");
  AppendTerminalSafe(text, kContinuation, out);
  out->push_back('\n');
}

void AppendRecordLineStart(double created, int levelno, const LineFormatOptions& options,
                           std::string* out) {
  // The time in the sender's clock.
  AppendRecordTime(created, options, out);
  AppendLevel(levelno, options, out);
}

void AppendRecordLineEnd(absl::string_view filename, int lineno, absl::string_view message,
                         absl::string_view exc_text, absl::string_view stack_info,
                         std::string* out) {
  if (!filename.empty()) {
    out->push_back(' ');
    AppendTerminalField(filename, out);
    absl::StrAppend(out, ":", lineno, ":");
  }
  out->push_back(' ');
  AppendTerminalSafe(message, kContinuation, out);
  for (absl::string_view extra : {exc_text, stack_info}) {
    if (extra.empty()) continue;
    out->push_back('\n');
    out->append(kContinuation.data(), kContinuation.size());
    AppendTerminalSafe(extra, kContinuation, out);
  }
  out->push_back('\n');
}

void AppendRecordLine(const LogRecord& record, absl::string_view message,
                      const LineFormatOptions& options, std::string* out, absl::string_view sender,
                      bool unsigned_mark) {
  AppendRecordLineStart(record.created(), record.levelno(), options, out);
  if (options.show_sender) {
    out->append(" [");
    AppendSenderLabel(record, sender, out);
    if (unsigned_mark) out->append(" unsigned");
    if (!record.name().empty() && record.name() != "toil-rt") {
      out->push_back(' ');
      AppendTerminalField(record.name(), out);
    }
    out->push_back(']');
  }
  AppendRecordLineEnd(record.filename(), record.lineno(), message, record.exc_text(),
                      record.stack_info(), out);
}

}  // namespace toil::rtlog::internal
