// `toil-rtlog logs`: a run's history (HistorySink: the records.jsonl files
// in its log directory) shown as the leader's terminal showed it, filtered,
// during the run (with --follow, as it grows) or long after the leader has
// gone.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "toil/cli/command.h"
#include "toil/cli/history_filter.h"
#include "toil/cli/output_flags.h"
#include "toil/cli/viewer_output.h"
#include "toil/rtlog/base/level.h"
#include "toil/rtlog/sinks/history_sink.h"
#include "toil/rtlog/sinks/json_line.h"
#include "toil/rtlog/sinks/terminal_sink.h"

ABSL_FLAG(std::string, since, "",
          "Only records logged since then: a duration back from now (10m), a time of "
          "day (12:04), or an RFC 3339 time.");

namespace toil::cli {
namespace {

constexpr char kRunDirPrefix[] = "toil-rtlog-jobs-";

// The newest run directory under $TMPDIR (or /tmp) with a history; "" if
// there is none.
std::string NewestHistory() {
  const char* tmp = std::getenv("TMPDIR");
  const std::string base = tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp";
  std::string newest;
  timespec newest_time{};
  DIR* dir = opendir(base.c_str());
  if (dir == nullptr) return "";
  while (const dirent* entry = readdir(dir)) {
    if (!absl::StartsWith(entry->d_name, kRunDirPrefix)) continue;
    const std::string candidate = absl::StrCat(base, "/", entry->d_name);
    struct stat info;
    if (stat(rtlog::HistorySink::FileName(candidate, 0).c_str(), &info) != 0) continue;
    if (newest.empty() || info.st_mtim.tv_sec > newest_time.tv_sec ||
        (info.st_mtim.tv_sec == newest_time.tv_sec && info.st_mtim.tv_nsec > newest_time.tv_nsec)) {
      newest = candidate;
      newest_time = info.st_mtim;
    }
  }
  closedir(dir);
  return newest;
}

// The files of the history at `where` (a run's directory, or one file),
// oldest first; the last is the one that grows.
absl::StatusOr<std::vector<std::string>> HistoryFiles(const std::string& where) {
  struct stat info;
  if (stat(where.c_str(), &info) != 0) {
    return absl::NotFoundError(absl::StrCat(where, ": ", std::strerror(errno)));
  }
  if (!S_ISDIR(info.st_mode)) return std::vector<std::string>{where};
  std::vector<std::string> files;
  for (int i = 1000; i >= 0; --i) {
    const std::string path = rtlog::HistorySink::FileName(where, i);
    if (access(path.c_str(), R_OK) == 0) files.push_back(path);
  }
  if (files.empty() || files.back() != rtlog::HistorySink::FileName(where, 0)) {
    return absl::NotFoundError(absl::StrCat(
        where,
        " holds no run history (records.jsonl): it is written by `toil-rtlog run` into "
        "its log directory (--history)"));
  }
  return files;
}

// Shows the lines of a history that the filter keeps.
class Shower {
 public:
  Shower(const HistoryFilter& filter, bool text, rtlog::TimeStyle time)
      : filter_(filter),
        text_(text),
        terminal_(STDOUT_FILENO, {.time = time,
                                  .repeat_window = absl::ZeroDuration(),
                                  .job_lines_per_second = 0,
                                  .report_write_errors = false}) {}

  // The complete lines of `bytes`; returns how many bytes it used (the
  // rest is a line still being written).
  size_t Lines(absl::string_view bytes) {
    size_t used = 0;
    while (true) {
      const size_t end = bytes.find('\n', used);
      if (end == absl::string_view::npos) return used;
      Line(bytes.substr(used, end - used));
      used = end + 1;
    }
  }

  // Writes out what was shown; false when stdout could not take it.
  bool Flush() {
    if (text_) {
      terminal_.Flush();
      return terminal_.lost_lines() == 0;
    }
    const bool written = WriteOut(out_);
    out_.clear();
    return written;
  }

 private:
  void Line(absl::string_view line) {
    if (line.empty() || !filter_.MayMatch(line)) return;
    absl::StatusOr<rtlog::ReadLine> read = reader_.Read(line);
    if (!read.ok()) {
      if (!warned_) {
        std::fprintf(stderr, "toil-rtlog logs: warning: a line that is not a record: %s\n",
                     std::string(read.status().message()).c_str());
      }
      warned_ = true;
      return;
    }
    const rtlog::LogEntry entry = read->entry();
    if (!filter_.Matches(entry)) return;
    if (text_) {
      terminal_.Send(entry);
    } else {
      absl::StrAppend(&out_, line, "\n");
    }
  }

  const HistoryFilter& filter_;
  bool text_;
  rtlog::TerminalSink terminal_;
  rtlog::JsonLineReader reader_;
  std::string out_;
  bool warned_ = false;
};

// Shows what `fd` holds from `*pending` on (a line cut at the end stays in
// `*pending`); false when stdout could not take it.
bool ShowFrom(int fd, Shower& shower, std::string* pending) {
  char buffer[1 << 20];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    pending->append(buffer, static_cast<size_t>(n));
    pending->erase(0, shower.Lines(*pending));
    if (!shower.Flush()) return false;
  }
}

ino_t InodeOf(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 ? info.st_ino : 0;
}

// Shows each file, oldest first; with `follow`, then the last as it grows
// (and the new one when it is rotated), until stdout goes.
int Show(const std::vector<std::string>& files, bool follow, Shower& shower) {
  for (size_t i = 0; i < files.size(); ++i) {
    const int fd = open(files[i].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // rotated away meanwhile
    std::string pending;
    bool shown = ShowFrom(fd, shower, &pending);
    const bool last = i + 1 == files.size();
    while (shown && follow && last) {
      struct stat open_file;
      fstat(fd, &open_file);
      if (InodeOf(files[i]) != open_file.st_ino) {
        // Rotated: what is left of this one, then the new file.
        shown = ShowFrom(fd, shower, &pending);
        close(fd);
        return shown ? Show({files[i]}, follow, shower) : 0;
      }
      if (StdoutGone()) break;
      usleep(200 * 1000);
      shown = ShowFrom(fd, shower, &pending);
    }
    close(fd);
    if (!shown) return StdoutGone() || errno == EPIPE ? 0 : 1;
  }
  return 0;
}

absl::StatusOr<HistoryFilter> FilterFromFlags() {
  HistoryFilter filter;
  filter.job_glob = absl::GetFlag(FLAGS_job);
  filter.host = absl::GetFlag(FLAGS_host);
  // --name's default is for send; logs shows every logger unless asked.
  if (FlagGiven("name")) filter.logger = absl::GetFlag(FLAGS_name);
  if (FlagGiven("level")) {
    absl::StatusOr<rtlog::Level> level = rtlog::ParseLevel(absl::GetFlag(FLAGS_level));
    if (!level.ok()) return level.status();
    filter.min_levelno = rtlog::LevelNumber(*level);
  }
  absl::StatusOr<std::unique_ptr<RE2>> grep = GrepFlag();
  if (!grep.ok()) return grep.status();
  filter.grep = *std::move(grep);
  if (const std::string since = absl::GetFlag(FLAGS_since); !since.empty()) {
    absl::StatusOr<absl::Time> at = ParseSince(since, absl::Now());
    if (!at.ok()) return at.status();
    filter.since = *at;
  }
  return filter;
}

int RunLogs(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    return UsageError("logs", absl::StrCat("unexpected argument \"", args[1], "\""));
  }
  const absl::StatusOr<bool> text = TextFormatFlag();
  if (!text.ok()) return UsageError("logs", std::string(text.status().message()));
  absl::StatusOr<rtlog::TimeStyle> time = TimeStyleFlag();
  if (!time.ok()) return UsageError("logs", std::string(time.status().message()));
  absl::StatusOr<HistoryFilter> filter = FilterFromFlags();
  if (!filter.ok()) return UsageError("logs", std::string(filter.status().message()));
  const std::string where = args.empty() ? NewestHistory() : args[0];
  if (where.empty()) {
    std::fprintf(stderr,
                 "toil-rtlog logs: error: no run history under $TMPDIR: give the run's log "
                 "directory (`run` ends with \"job output in DIR\")\n");
    return 1;
  }
  absl::StatusOr<std::vector<std::string>> files = HistoryFiles(where);
  if (!files.ok()) {
    std::fprintf(stderr, "toil-rtlog logs: error: %s\n",
                 std::string(files.status().message()).c_str());
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  Shower shower(*filter, *text, *time);
  return Show(*files, absl::GetFlag(FLAGS_follow), shower);
}

}  // namespace

const Command& LogsCommand() {
  static const Command* const command = new Command{
      "logs",
      "show a run's records from its log directory, during the run or after it",
      "toil-rtlog logs [--job GLOB] [--host HOST] [--level LEVEL] [--name NAME]\n"
      "                [--grep RE] [--since T] [--follow] [--format text|jsonl]\n"
      "                [--time local|utc|iso] [DIR | FILE]\n\n"
      "Shows the records a run kept in its log directory (records.jsonl, and the\n"
      "older records.N.jsonl), as the leader's terminal showed them, with no\n"
      "folding: the run's history, captured lines included. DIR defaults to the\n"
      "newest run's under $TMPDIR. With --follow, goes on showing records as the\n"
      "run adds them, until interrupted. Ends quietly when its reader goes.",
      {{"job"},
       {"host"},
       {"level", "Only records at this level or above.", "all levels"},
       {"name",
        "Only records of this logger name: stdout or stderr for the lines jobs printed, "
        "toil-rt for RT_LOG's.",
        "all"},
       {"grep"},
       {"since"},
       {"follow", "Keep showing records as the run adds them, until interrupted.", ""},
       {"format",
        "How records are printed: text (the leader's terminal lines) or jsonl (the "
        "history's own lines).",
        ""},
       {"time",
        "How text lines show a record's time: local (19:40:01.123), utc "
        "(2026-11-24T18:40:01.123Z) or iso (with this machine's offset).",
        ""}},
      &RunLogs};
  return *command;
}

}  // namespace toil::cli
