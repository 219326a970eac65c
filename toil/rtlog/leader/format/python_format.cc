// Python %-formatting of record messages; see python_format.h.
#include "toil/rtlog/leader/format/python_format.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "toil/rtlog/common/utf8.h"

namespace toil::rtlog::internal {
namespace {

using Kind = PyValue::Kind;

absl::Status TypeError(absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat("TypeError: ", text));
}
absl::Status ValueError(absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat("ValueError: ", text));
}
absl::Status OverflowError(absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat("OverflowError: ", text));
}

// --- Arbitrary-size integers, as decimal digit strings ---

// Divides the decimal digits in `digits` by `divisor` in place; returns the
// remainder.
int DivideDecimal(std::string* digits, int divisor) {
  int remainder = 0;
  std::string quotient;
  for (char c : *digits) {
    const int current = remainder * 10 + (c - '0');
    const int q = current / divisor;
    remainder = current % divisor;
    if (!quotient.empty() || q != 0) quotient.push_back(static_cast<char>('0' + q));
  }
  *digits = quotient.empty() ? "0" : quotient;
  return remainder;
}

// The magnitude of a decimal integer in base 8, 10 or 16.
std::string ToBase(std::string digits, int base, bool upper) {
  if (base == 10) return digits;
  const char* symbols = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  while (digits != "0") out.push_back(symbols[DivideDecimal(&digits, base)]);
  if (out.empty()) out = "0";
  return std::string(out.rbegin(), out.rend());
}

// The exact decimal value of the integer part of a finite double.
std::string TruncatedDecimal(double value) {
  double whole = std::trunc(std::fabs(value));
  if (whole < 9.2e18) return absl::StrCat(static_cast<uint64_t>(whole));
  // whole = mantissa * 2^exponent, exactly; double the decimal text.
  int exponent = 0;
  const double fraction = std::frexp(whole, &exponent);
  uint64_t mantissa = static_cast<uint64_t>(std::ldexp(fraction, 53));
  exponent -= 53;
  std::string digits = absl::StrCat(mantissa);
  for (int i = 0; i < exponent; ++i) {
    int carry = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
      const int d = (*it - '0') * 2 + carry;
      *it = static_cast<char>('0' + d % 10);
      carry = d / 10;
    }
    if (carry) digits.insert(digits.begin(), static_cast<char>('0' + carry));
  }
  return digits;
}

// --- Argument handling, as CPython's PyUnicode_Format ---

class Arguments {
 public:
  explicit Arguments(const PyValue& args)
      : args_(&args),
        dict_(args.kind == Kind::kDict ? &args : nullptr),
        length_(args.kind == Kind::kList ? static_cast<long>(args.items.size()) : -1),
        index_(args.kind == Kind::kList ? 0 : -2) {}

  absl::StatusOr<const PyValue*> Next() {
    if (index_ < length_) {
      ++index_;
      return length_ < 0 ? args_ : &args_->items[index_ - 1];
    }
    return TypeError("not enough arguments for format string");
  }

  // %(key): the value becomes the only argument for what follows.
  absl::Status UseKey(absl::string_view key) {
    if (dict_ == nullptr) return TypeError("format requires a mapping");
    const PyValue* found = nullptr;
    for (const auto& [name, value] : dict_->dict) {
      if (name == key) found = &value;
    }
    if (found == nullptr)
      return absl::InvalidArgumentError(absl::StrCat("KeyError: ", PyStrRepr(key)));
    args_ = found;
    length_ = -1;
    index_ = -2;
    return absl::OkStatus();
  }

  absl::Status CheckAllUsed() const {
    if (index_ < length_ && dict_ == nullptr) {
      return TypeError("not all arguments converted during string formatting");
    }
    return absl::OkStatus();
  }

 private:
  const PyValue* args_;
  const PyValue* dict_;
  long length_;
  long index_;
};

struct Spec {
  bool left = false, plus = false, space = false, alternate = false, zero = false;
  long width = -1;
  long precision = -1;
  char conversion = 0;
};

absl::StatusOr<long> StarArgument(Arguments& arguments) {
  absl::StatusOr<const PyValue*> value = arguments.Next();
  if (!value.ok()) return value.status();
  long n = 0;
  if ((*value)->kind == Kind::kBool) return (*value)->boolean ? 1 : 0;
  if ((*value)->kind != Kind::kInt) return TypeError("* wants int");
  if (!absl::SimpleAtoi((*value)->text, &n) || n > kMaxWidth || n < -kMaxWidth) {
    return ValueError("width or precision too big");
  }
  return n;
}

// Pads `body` (after `sign_and_prefix`) to the spec's width.
void Pad(const Spec& spec, absl::string_view sign_and_prefix, absl::string_view body, bool numeric,
         std::string* out) {
  const long length = static_cast<long>(CodePointCount(sign_and_prefix) + CodePointCount(body));
  const long fill = spec.width > length ? spec.width - length : 0;
  if (spec.left) {
    absl::StrAppend(out, sign_and_prefix, body);
    out->append(fill, ' ');
  } else if (spec.zero && numeric) {
    out->append(sign_and_prefix.data(), sign_and_prefix.size());
    out->append(fill, '0');
    out->append(body.data(), body.size());
  } else {
    out->append(fill, ' ');
    absl::StrAppend(out, sign_and_prefix, body);
  }
}

absl::Status FormatInteger(const Spec& spec, const PyValue& value, std::string* out) {
  const char c = spec.conversion;
  const bool decimal = c == 'd' || c == 'i' || c == 'u';
  std::string digits;
  bool negative = false;
  if (value.kind == Kind::kBool) {
    digits = value.boolean ? "1" : "0";
  } else if (value.kind == Kind::kInt) {
    negative = value.text.front() == '-';
    digits = negative ? value.text.substr(1) : value.text;
  } else if (value.kind == Kind::kFloat && decimal) {
    if (std::isnan(value.number)) return ValueError("cannot convert float NaN to integer");
    if (std::isinf(value.number)) return OverflowError("cannot convert float infinity to integer");
    digits = TruncatedDecimal(value.number);
    negative = value.number < 0 && digits != "0";
  } else if (decimal) {
    return TypeError(absl::StrCat("%", std::string(1, c),
                                  " format: a real number is required, not ", PyTypeName(value)));
  } else {
    return TypeError(absl::StrCat("%", std::string(1, c), " format: an integer is required, not ",
                                  PyTypeName(value)));
  }
  digits = ToBase(digits, c == 'o' ? 8 : (c == 'x' || c == 'X') ? 16 : 10, c == 'X');
  if (spec.precision > static_cast<long>(digits.size())) {
    digits.insert(0, spec.precision - digits.size(), '0');
  }
  std::string prefix = negative ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  if (spec.alternate && !decimal) {
    prefix += c == 'o' ? "0o" : c == 'x' ? "0x" : "0X";
  }
  Pad(spec, prefix, digits, /*numeric=*/true, out);
  return absl::OkStatus();
}

absl::Status FormatFloat(const Spec& spec, const PyValue& value, std::string* out) {
  double number;
  if (value.kind == Kind::kFloat) {
    number = value.number;
  } else if (value.kind == Kind::kBool) {
    number = value.boolean ? 1 : 0;
  } else if (value.kind == Kind::kInt) {
    number = std::strtod(value.text.c_str(), nullptr);
    if (std::isinf(number)) return OverflowError("int too large to convert to float");
  } else {
    return TypeError(absl::StrCat("must be real number, not ", PyTypeName(value)));
  }
  if (std::isnan(number) || std::isinf(number)) {
    // Python writes inf and nan with its flags, zero padding too ('%05f' of
    // inf is "00inf"), where C would pad with spaces.
    std::string text = std::isnan(number) ? "nan" : "inf";
    if (std::isupper(static_cast<unsigned char>(spec.conversion))) {
      for (char& ch : text) ch = static_cast<char>(std::toupper(ch));
    }
    const bool negative = std::isinf(number) && number < 0;
    Pad(spec,
        negative     ? "-"
        : spec.plus  ? "+"
        : spec.space ? " "
                     : "",
        text, /*numeric=*/true, out);
    return absl::OkStatus();
  }
  std::string format = "%";
  if (spec.left) format += '-';
  if (spec.plus) format += '+';
  if (spec.space) format += ' ';
  if (spec.alternate) format += '#';
  if (spec.zero) format += '0';
  absl::StrAppend(&format, spec.width >= 0 ? spec.width : 0, ".",
                  spec.precision >= 0 ? spec.precision : 6);
  format += spec.conversion;
  const int size = std::snprintf(nullptr, 0, format.c_str(), number);
  std::string text(static_cast<size_t>(size) + 1, '\0');
  std::snprintf(text.data(), text.size(), format.c_str(), number);
  text.resize(static_cast<size_t>(size));
  out->append(text);
  return absl::OkStatus();
}

absl::Status FormatChar(const Spec& spec, const PyValue& value, std::string* out) {
  std::string text;
  if (value.kind == Kind::kInt || value.kind == Kind::kBool) {
    long code = value.kind == Kind::kBool ? value.boolean : -1;
    if (value.kind == Kind::kInt && !absl::SimpleAtoi(value.text, &code)) code = -1;
    if (code < 0 || code > 0x10FFFF) return OverflowError("%c arg not in range(0x110000)");
    AppendUtf8CodePoint(static_cast<uint32_t>(code), &text);
  } else if (value.kind == Kind::kStr && CodePointCount(value.text) == 1) {
    text = value.text;
  } else {
    return TypeError("%c requires int or char");
  }
  Pad(spec, "", text, /*numeric=*/false, out);
  return absl::OkStatus();
}

absl::Status FormatOne(const Spec& spec, const PyValue& value, std::string* out) {
  switch (spec.conversion) {
    case 's':
    case 'r':
    case 'a': {
      std::string text = spec.conversion == 's'   ? PyStr(value)
                         : spec.conversion == 'r' ? PyRepr(value)
                                                  : PyAscii(value);
      absl::string_view shown = text;
      if (spec.precision >= 0) shown = FirstCodePoints(shown, spec.precision);
      Pad(spec, "", shown, /*numeric=*/false, out);
      return absl::OkStatus();
    }
    case 'd':
    case 'i':
    case 'u':
    case 'x':
    case 'X':
    case 'o':
      return FormatInteger(spec, value, out);
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
      return FormatFloat(spec, value, out);
    case 'c':
      return FormatChar(spec, value, out);
  }
  return absl::InternalError("unreachable");
}

}  // namespace

namespace {

// A %(key): reads up to the matching ')' (from `*i`, just after '('), and
// makes the key's value the only argument for what follows.
absl::Status ReadMappingKey(absl::string_view format, size_t* i, Arguments& arguments) {
  int depth = 1;
  const size_t start = *i;
  while (*i < format.size() && depth > 0) {
    if (format[*i] == '(') ++depth;
    if (format[*i] == ')') --depth;
    ++*i;
  }
  if (depth > 0) return ValueError("incomplete format key");
  return arguments.UseKey(format.substr(start, *i - 1 - start));
}

// Digits at `*i` as a width or precision (at most kMaxWidth); -1 when there
// are none.
absl::StatusOr<long> ReadNumber(absl::string_view format, size_t* i, absl::string_view what) {
  long number = -1;
  while (*i < format.size() && format[*i] >= '0' && format[*i] <= '9') {
    number = (number < 0 ? 0 : number * 10) + (format[(*i)++] - '0');
    if (number > kMaxWidth) return ValueError(absl::StrCat(what, " too big"));
  }
  return number;
}

// The flags, width, precision and length modifiers of a conversion, from
// `*i` up to (not including) the conversion character.
absl::Status ReadSpec(absl::string_view format, size_t* i, Arguments& arguments, Spec* spec) {
  const size_t n = format.size();
  for (; *i < n; ++*i) {
    const char f = format[*i];
    if (f == '-')
      spec->left = true;
    else if (f == '+')
      spec->plus = true;
    else if (f == ' ')
      spec->space = true;
    else if (f == '#')
      spec->alternate = true;
    else if (f == '0')
      spec->zero = true;
    else
      break;
  }
  if (*i < n && format[*i] == '*') {
    absl::StatusOr<long> width = StarArgument(arguments);
    if (!width.ok()) return width.status();
    spec->left = spec->left || *width < 0;
    spec->width = *width < 0 ? -*width : *width;
    ++*i;
  } else {
    absl::StatusOr<long> width = ReadNumber(format, i, "width");
    if (!width.ok()) return width.status();
    spec->width = *width;
  }
  if (*i < n && format[*i] == '.') {
    ++*i;
    if (*i < n && format[*i] == '*') {
      absl::StatusOr<long> precision = StarArgument(arguments);
      if (!precision.ok()) return precision.status();
      spec->precision = *precision < 0 ? 0 : *precision;
      ++*i;
    } else {
      absl::StatusOr<long> precision = ReadNumber(format, i, "precision");
      if (!precision.ok()) return precision.status();
      spec->precision = *precision < 0 ? 0 : *precision;
    }
  }
  while (*i < n && (format[*i] == 'h' || format[*i] == 'l' || format[*i] == 'L')) ++*i;
  if (*i >= n) return ValueError("incomplete format");
  return absl::OkStatus();
}

// Python's error for a conversion character it does not know, at `index`.
absl::Status UnsupportedConversion(absl::string_view format, size_t index) {
  const unsigned char byte = static_cast<unsigned char>(format[index]);
  uint32_t code = byte;
  if (byte >= 0x80) {
    const auto* p = reinterpret_cast<const unsigned char*>(format.data()) + index;
    const size_t length = ValidUtf8SequenceLength(p, p + (format.size() - index));
    code = length ? DecodeUtf8(p, length) : 0xFFFD;
  }
  std::string shown;
  AppendUtf8CodePoint(code, &shown);
  // Python counts the index in code points.
  return ValueError(absl::StrFormat("unsupported format character '%s' (0x%x) at index %d", shown,
                                    code, CodePointCount(format.substr(0, index))));
}

// One conversion, from `*i` just after its '%', appended to `out`.
absl::Status FormatConversion(absl::string_view format, size_t* i, Arguments& arguments,
                              std::string* out) {
  Spec spec;
  if (*i < format.size() && format[*i] == '(') {
    ++*i;
    absl::Status status = ReadMappingKey(format, i, arguments);
    if (!status.ok()) return status;
  }
  absl::Status status = ReadSpec(format, i, arguments, &spec);
  if (!status.ok()) return status;
  const size_t conversion_index = (*i)++;
  spec.conversion = format[conversion_index];
  // Python takes the argument before it looks at the conversion.
  absl::StatusOr<const PyValue*> value = arguments.Next();
  if (!value.ok()) return value.status();
  if (std::string_view("sradiuxXoeEfFgGc").find(spec.conversion) == std::string_view::npos) {
    return UnsupportedConversion(format, conversion_index);
  }
  return FormatOne(spec, **value, out);
}

}  // namespace

absl::StatusOr<std::string> PercentFormat(absl::string_view format, const PyValue& args) {
  Arguments arguments(args);
  std::string out;
  size_t i = 0;
  while (i < format.size()) {
    const size_t percent = format.find('%', i);
    if (percent == absl::string_view::npos) {
      out.append(format.data() + i, format.size() - i);
      break;
    }
    out.append(format.data() + i, percent - i);
    i = percent + 1;
    // "%%" is a literal only when nothing stands between the two.
    if (i < format.size() && format[i] == '%') {
      out.push_back('%');
      ++i;
      continue;
    }
    absl::Status status = FormatConversion(format, &i, arguments, &out);
    if (!status.ok()) return status;
  }
  absl::Status status = arguments.CheckAllUsed();
  if (!status.ok()) return status;
  return out;
}

bool RenderMessage(const LogRecord& record, absl::string_view raw_args, absl::string_view raw_msg,
                   std::string* out) {
  // str(msg): a msg that was not a JSON string is rendered as Python would.
  std::string msg = record.msg();
  if (!raw_msg.empty()) {
    absl::StatusOr<PyValue> value = ParsePyValue(raw_msg);
    if (value.ok()) msg = PyStr(*value);
  }
  std::optional<PyValue> args;
  if (!raw_args.empty()) {
    absl::StatusOr<PyValue> parsed = ParsePyValue(raw_args);
    if (parsed.ok()) args = *std::move(parsed);
  }
  if (!args && record.has_args()) args = FromProtoValue(record.args());
  // Python's getMessage formats only when args is truthy.
  if (!args || !args->Truthy()) {
    *out = std::move(msg);
    return true;
  }
  absl::StatusOr<std::string> formatted = PercentFormat(msg, *args);
  if (formatted.ok()) {
    *out = *std::move(formatted);
    return true;
  }
  *out = absl::StrCat(msg, " [unformatted: ", formatted.status().message(),
                      "; args: ", PyRepr(*args), "]");
  return false;
}

}  // namespace toil::rtlog::internal
