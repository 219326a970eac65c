// A run's history of records; see history_sink.h.
#include "toil/rtlog/sinks/history_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "toil/rtlog/sinks/fd_writer.h"
#include "toil/rtlog/sinks/json_lines_sink.h"

namespace toil::rtlog {

HistorySink::HistorySink(std::string dir, HistoryOptions options)
    : dir_(std::move(dir)), options_(options) {}

HistorySink::~HistorySink() = default;

std::string HistorySink::FileName(const std::string& dir, int index) {
  return index == 0 ? absl::StrCat(dir, "/records.jsonl")
                    : absl::StrCat(dir, "/records.", index, ".jsonl");
}

absl::StatusOr<std::unique_ptr<HistorySink>> HistorySink::Open(const std::string& dir,
                                                               HistoryOptions options) {
  if (options.max_files < 1) options.max_files = 1;
  std::unique_ptr<HistorySink> sink(new HistorySink(dir, options));
  // An earlier history here goes: its older files too, as many as it had.
  for (int i = 1; unlink(FileName(dir, i).c_str()) == 0 || i < options.max_files; ++i) {
  }
  if (absl::Status opened = sink->OpenCurrent(); !opened.ok()) return opened;
  return sink;
}

absl::Status HistorySink::OpenCurrent() {
  const std::string path = FileName(dir_, 0);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write the run's history ", path, ": ", std::strerror(errno)));
  }
  writer_ = std::make_unique<internal::FdWriter>(fd, /*owns_fd=*/true,
                                                 absl::StrCat("the run's history ", path));
  file_bytes_ = 0;
  return absl::OkStatus();
}

void HistorySink::Send(const LogEntry& entry) {
  if (writer_ == nullptr) {
    ++lost_before_;
    return;
  }
  std::string& buffer = writer_->buffer();
  const size_t before = buffer.size();
  JsonLinesSink::AppendLine(entry, &buffer);
  file_bytes_ += buffer.size() - before;
  writer_->MaybeFlush();
  if (file_bytes_ >= options_.max_file_bytes) Rotate();
}

void HistorySink::Rotate() {
  writer_->Flush();
  lost_before_ += writer_->lost_lines();
  writer_.reset();
  std::remove(FileName(dir_, options_.max_files - 1).c_str());
  for (int i = options_.max_files - 2; i >= 0; --i) {
    std::rename(FileName(dir_, i).c_str(), FileName(dir_, i + 1).c_str());
  }
  if (!OpenCurrent().ok()) writer_.reset();  // the history stops; the run goes on
}

void HistorySink::Flush() {
  if (writer_ != nullptr) writer_->Flush();
}

uint64_t HistorySink::lost_lines() const {
  return lost_before_ + (writer_ != nullptr ? writer_->lost_lines() : 0);
}

}  // namespace toil::rtlog
