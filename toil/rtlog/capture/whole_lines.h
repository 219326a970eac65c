// WholeLines: the complete lines in the middle of a chunk of output, found
// in a few passes over the bytes instead of one step per line. The reader
// of a job's output hands such a run on as one piece (a flood of short lines
// costs it a copy, not a string per line); OutputLines, which knows every
// case, keeps the bytes around it and any run it cannot vouch for.
//
//   if (std::optional<WholeLines> whole = FindWholeLines(bytes, kMax)) {
//     lines.Add(whole->head, now);       // ends the line held before
//     ... whole->lines: whole->count lines, each ending with "\n" ...
//     lines.Add(whole->tail, now);       // the start of the next line
//   }
//   ForEachLine(whole->lines, [](absl::string_view line) { ... });
#ifndef TOIL_RTLOG_CAPTURE_WHOLE_LINES_H_
#define TOIL_RTLOG_CAPTURE_WHOLE_LINES_H_

#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

namespace toil::rtlog::capture {

struct WholeLines {
  absl::string_view head;   // up to and including the first "\n"
  absl::string_view lines;  // after it, up to and including the last "\n"
  absl::string_view tail;   // after the last "\n"
  size_t count = 0;         // lines in `lines` that are not empty
};

// The whole lines of `bytes`, when it has at least two "\n" and the lines
// between the first and the last hold no "\r" and none is longer than
// `max_line_bytes`; nullopt otherwise (the bytes take the line-by-line way).
std::optional<WholeLines> FindWholeLines(absl::string_view bytes, size_t max_line_bytes);

// Calls `each(line)`, without its "\n", for each line of `lines` (whole
// lines, each ending with "\n") that is not empty.
template <typename Each>
void ForEachLine(absl::string_view lines, Each each) {
  size_t start = 0;
  while (start < lines.size()) {
    const size_t end = lines.find('\n', start);
    if (end == absl::string_view::npos) return;
    if (end > start) each(lines.substr(start, end - start));
    start = end + 1;
  }
}

}  // namespace toil::rtlog::capture

#endif  // TOIL_RTLOG_CAPTURE_WHOLE_LINES_H_
