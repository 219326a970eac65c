// How many lines a file holds (its '\n' characters), read in 64 KiB blocks:
// the benchmarks count what a receiver wrote this way. -1 if it cannot be
// opened.
#ifndef BENCH_FILE_LINES_H_
#define BENCH_FILE_LINES_H_

#include <cstdint>
#include <cstdio>
#include <string>

namespace toil::bench {

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

}  // namespace toil::bench

#endif  // BENCH_FILE_LINES_H_
