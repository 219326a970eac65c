// Scanning a record in the job side's shape; see record_scan.h.
#include "toil/rtlog/wire/record_scan.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <system_error>

#include "toil/rtlog/common/utf8.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace toil::rtlog::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// A cursor over the JSON; every step returns false when the text is not in
// the expected shape.
class Scanner {
 public:
  explicit Scanner(absl::string_view json)
      : begin_(json.data()), p_(json.data()), end_(json.data() + json.size()) {}

  bool AtEnd() const { return p_ == end_; }
  uint32_t offset() const { return static_cast<uint32_t>(p_ - begin_); }

  // Takes the literal `text` (a key with its quotes and colon, a comma, a
  // brace) when it is next; takes nothing otherwise.
  template <size_t N>
  bool Literal(const char (&text)[N]) {
    if (static_cast<size_t>(end_ - p_) < N - 1 || std::memcmp(p_, text, N - 1) != 0) return false;
    p_ += N - 1;
    return true;
  }

  // A JSON string; `text` is its raw content, `escaped` whether it had any
  // escape.
  bool String(absl::string_view* text, bool* escaped);
  // A string whose raw content is its value (no escapes).
  bool PlainString(absl::string_view* text) {
    bool escaped = false;
    return String(text, &escaped) && !escaped;
  }
  bool AnyString() {
    absl::string_view text;
    bool escaped = false;
    return String(&text, &escaped);
  }
  // An integer as JSON writes it (no fraction, no exponent), in T's range.
  template <typename T>
  bool Integer(T* value);
  // A JSON number that is a finite double; its value, when `value` is not
  // null.
  bool Double(double* value);

 private:
  // Skips plain ASCII (no quote, backslash or control character).
  void SkipPlain();
  bool Escape();

  const char* begin_;
  const char* p_;
  const char* end_;
};

void Scanner::SkipPlain() {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  while (end_ - p_ >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
    // Signed: bytes of 0x80 and above are below 0x20 too, and so stop here.
    const __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                     _mm_cmplt_epi8(v, space));
    const int mask = _mm_movemask_epi8(special);
    if (mask != 0) {
      p_ += __builtin_ctz(static_cast<unsigned>(mask));
      return;
    }
    p_ += 16;
  }
#endif
  while (p_ < end_) {
    const unsigned char c = static_cast<unsigned char>(*p_);
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return;
    ++p_;
  }
}

bool Scanner::Escape() {
  // At the backslash.
  if (end_ - p_ < 2) return false;
  switch (p_[1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
      p_ += 2;
      return true;
    case 'u': {
      if (end_ - p_ < 6) return false;
      unsigned code = 0;
      for (int i = 2; i < 6; ++i) {
        const char c = p_[i];
        if (!IsHex(c)) return false;
        code = code * 16 + (IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
      }
      if (code >= 0xD800 && code <= 0xDFFF) return false;  // surrogates: the decoder's to judge
      p_ += 6;
      return true;
    }
    default:
      return false;
  }
}

bool Scanner::String(absl::string_view* text, bool* escaped) {
  if (p_ == end_ || *p_ != '"') return false;
  const char* start = ++p_;
  while (true) {
    SkipPlain();
    if (p_ == end_) return false;
    const unsigned char c = static_cast<unsigned char>(*p_);
    if (c == '"') break;
    if (c == '\\') {
      *escaped = true;
      if (!Escape()) return false;
    } else if (c < 0x20) {
      return false;
    } else {
      const size_t length = ValidUtf8SequenceLength(reinterpret_cast<const unsigned char*>(p_),
                                                    reinterpret_cast<const unsigned char*>(end_));
      if (length == 0) return false;
      p_ += length;
    }
  }
  *text = absl::string_view(start, static_cast<size_t>(p_ - start));
  ++p_;
  return true;
}

template <typename T>
bool Scanner::Integer(T* value) {
  static_assert(!std::numeric_limits<T>::is_signed || sizeof(T) <= 4, "negated in 64 bits");
  const bool negative = p_ < end_ && *p_ == '-';
  if (negative) {
    if (!std::numeric_limits<T>::is_signed) return false;
    ++p_;
  }
  if (p_ == end_ || !IsDigit(*p_)) return false;
  uint64_t magnitude = 0;
  if (*p_ == '0') {
    ++p_;
    if (negative) return false;  // "-0": the decoder's to judge
  } else {
    // Up to 19 digits cannot overflow 64 bits; only past them is it checked.
    const char* fast_end = p_ + std::min<ptrdiff_t>(end_ - p_, 19);
    while (p_ < fast_end && IsDigit(*p_))
      magnitude = magnitude * 10 + static_cast<uint64_t>(*p_++ - '0');
    while (p_ < end_ && IsDigit(*p_)) {
      if (__builtin_mul_overflow(magnitude, uint64_t{10}, &magnitude) ||
          __builtin_add_overflow(magnitude, static_cast<uint64_t>(*p_ - '0'), &magnitude)) {
        return false;
      }
      ++p_;
    }
  }
  if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
  const uint64_t max = static_cast<uint64_t>(std::numeric_limits<T>::max());
  if (magnitude > max + (negative ? 1 : 0)) return false;
  *value = negative ? static_cast<T>(-static_cast<int64_t>(magnitude)) : static_cast<T>(magnitude);
  return true;
}

bool Scanner::Double(double* value) {
  const char* start = p_;
  bool exponent = false;
  if (p_ < end_ && *p_ == '-') ++p_;
  if (p_ == end_ || !IsDigit(*p_)) return false;
  if (*p_ == '0') {
    ++p_;
  } else {
    while (p_ < end_ && IsDigit(*p_)) ++p_;
  }
  if (p_ < end_ && *p_ == '.') {
    ++p_;
    if (p_ == end_ || !IsDigit(*p_)) return false;
    while (p_ < end_ && IsDigit(*p_)) ++p_;
  }
  if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
    exponent = true;
    ++p_;
    if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    if (p_ == end_ || !IsDigit(*p_)) return false;
    while (p_ < end_ && IsDigit(*p_)) ++p_;
  }
  // Without an exponent, a few hundred digits are in a double's range: a
  // value not asked for need not be worked out.
  constexpr ptrdiff_t kSafeDigits = 300;
  if (value == nullptr && !exponent && p_ - start <= kSafeDigits) return true;
  double parsed = 0;
  // Out of range either way (overflow, underflow) is the decoder's to judge.
  const std::from_chars_result result = std::from_chars(start, p_, parsed);
  if (value != nullptr) *value = parsed;
  return result.ec == std::errc() && result.ptr == p_ && std::isfinite(parsed);
}

// A 64-bit number, and where its digits are.
bool Uint64(Scanner& s, uint64_t* value, RecordView::Span* span) {
  span->begin = s.offset();
  if (!s.Integer(value)) return false;
  span->end = s.offset();
  return true;
}

}  // namespace

bool ScanRecord(absl::string_view json, RecordView* view) {
  Scanner s(json);
  int32_t lineno = 0;
  // Every other field is set below; seq and stream (and where they are) a
  // record may leave out.
  view->json = json;
  view->seq = 0;
  view->stream = 0;
  view->uint64_spans = {};
  const bool head = s.Literal("{\"name\":") && s.PlainString(&view->name) &&
                    s.Literal(",\"msg\":") && s.PlainString(&view->msg) &&
                    s.Literal(",\"levelname\":") && s.AnyString() && s.Literal(",\"levelno\":") &&
                    s.Integer(&view->levelno) && s.Literal(",\"pathname\":") && s.AnyString() &&
                    s.Literal(",\"filename\":") && s.AnyString() && s.Literal(",\"module\":") &&
                    s.AnyString() && s.Literal(",\"lineno\":") && s.Integer(&lineno) &&
                    s.Literal(",\"funcName\":") && s.AnyString() && s.Literal(",\"created\":") &&
                    s.Double(&view->created) && s.Literal(",\"msecs\":") && s.Double(nullptr) &&
                    s.Literal(",\"relativeCreated\":") && s.Double(nullptr);
  const bool middle =
      head && s.Literal(",\"process\":") && s.Integer(&view->process) &&
      s.Literal(",\"processName\":") && s.AnyString() && s.Literal(",\"thread\":") &&
      Uint64(s, &view->thread, &view->uint64_spans[0]) && s.Literal(",\"threadName\":") &&
      s.AnyString() && s.Literal(",\"exc_text\":") && s.AnyString() &&
      s.Literal(",\"stack_info\":") && s.AnyString() && s.Literal(",\"hostname\":") &&
      s.PlainString(&view->hostname) && s.Literal(",\"job\":") && s.PlainString(&view->job);
  if (!middle) return false;
  // As the encoder writes them: each only when nonzero (Literal takes
  // nothing when the key is not next).
  if (s.Literal(",\"seq\":") &&
      !(Uint64(s, &view->seq, &view->uint64_spans[1]) && view->seq != 0)) {
    return false;
  }
  if (s.Literal(",\"stream\":") &&
      !(Uint64(s, &view->stream, &view->uint64_spans[2]) && view->stream != 0)) {
    return false;
  }
  return s.Literal("}") && s.AtEnd();
}

}  // namespace toil::rtlog::internal
