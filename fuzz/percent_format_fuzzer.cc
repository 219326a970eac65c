// Fuzz target: Python's %-formatting as the leader applies it to records
// from Python jobs. Input: the format string, a NUL byte, then args as JSON
// (without a NUL, args is a fixed tuple). Formatting must return a result or
// a Python-style error, never crash, hang or allocate without bound; it must
// be deterministic; and the rendered message must print terminal-safe.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fuzz/terminal_check.h"
#include "toil/rtlog/common/line_format.h"
#include "toil/rtlog/leader/format/py_value.h"
#include "toil/rtlog/leader/format/python_format.h"

using namespace toil::rtlog::internal;  // NOLINT: a fuzz target's whole subject

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const absl::string_view format = input.substr(0, nul);
  const absl::string_view args_json = nul == absl::string_view::npos
                                          ? R"([42, -1.5, "text", null, [1], {"k": 2}])"
                                          : input.substr(nul + 1);
  absl::StatusOr<PyValue> args = ParsePyValue(args_json);
  if (!args.ok()) return 0;

  absl::StatusOr<std::string> first = PercentFormat(format, *args);
  absl::StatusOr<std::string> second = PercentFormat(format, *args);
  if (first.ok() != second.ok() ||
      (first.ok() ? *first != *second : first.status().message() != second.status().message())) {
    std::fprintf(stderr, "PercentFormat is not deterministic\n");
    std::abort();
  }
  if (first.ok()) {
    // Every conversion's width and precision are capped at kMaxWidth, and a
    // conversion consumes at least two bytes of the format.
    const size_t bound =
        format.size() + (format.size() / 2 + 1) * (2 * kMaxWidth + 64) + 64 * args_json.size();
    if (first->size() > bound) {
      std::fprintf(stderr, "result of %zu bytes from a %zu-byte format\n", first->size(),
                   format.size());
      std::abort();
    }
    std::string safe;
    AppendTerminalSafe(*first, "  ", &safe);
    toil::rtlog::fuzz::CheckTerminalSafe(safe);
  }
  return 0;
}
