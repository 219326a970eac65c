// How many lines a file holds (its '\n' characters), read in 64 KiB blocks:
// the benchmarks count what a receiver wrote this way, at once or, while it
// grows, from where they stopped counting.
#ifndef BENCH_FILE_LINES_H_
#define BENCH_FILE_LINES_H_

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

namespace toil::bench {

// The lines in `path`; -1 if it cannot be opened.
inline int64_t CountFileLines(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return -1;
  int64_t lines = 0;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    for (size_t i = 0; i < n; ++i) lines += buffer[i] == '\n';
  }
  std::fclose(file);
  return lines;
}

// The lines in a file that grows, each call reading only what was added
// since the last (a file not there yet has none).
class LineCounter {
 public:
  explicit LineCounter(const std::string& path) : path_(path) {}
  int64_t Count() {
    const int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lines_;
    char buffer[1 << 16];
    ssize_t n;
    while ((n = pread(fd, buffer, sizeof(buffer), offset_)) > 0) {
      lines_ += std::count(buffer, buffer + n, '\n');
      offset_ += n;
    }
    close(fd);
    return lines_;
  }

 private:
  std::string path_;
  off_t offset_ = 0;
  int64_t lines_ = 0;
};

}  // namespace toil::bench

#endif  // BENCH_FILE_LINES_H_
