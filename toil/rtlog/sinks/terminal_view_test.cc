// TerminalView: repeats fold into one notice per window with their counts,
// a flooding job is held to its share while others flow, and memory stays
// bounded with 10,000 jobs and 1,000,000 distinct lines.
#include "toil/rtlog/sinks/terminal_view.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace toil::rtlog::internal {
namespace {

using ::testing::HasSubstr;
using Verdict = TerminalView::Verdict;

LogRecord Record(const std::string& job, const std::string& host, int levelno = 20) {
  LogRecord record;
  record.set_job(job);
  record.set_hostname(host);
  record.set_levelno(levelno);
  return record;
}

const absl::Time kStart = absl::FromUnixSeconds(1800000000);

TEST(TerminalViewTest, WordsWithDigitsAreWhatRepeatsMayDifferIn) {
  EXPECT_EQ(TerminalView::PatternKey(20, "step 3 took 35ms"),
            TerminalView::PatternKey(20, "step 4 took 41ms"));
  EXPECT_NE(TerminalView::PatternKey(20, "step 3 took 35ms"),
            TerminalView::PatternKey(30, "step 3 took 35ms"));
  EXPECT_NE(TerminalView::PatternKey(20, "step 3 took 35ms"),
            TerminalView::PatternKey(20, "step 3 lost 35ms"));
  EXPECT_EQ(TerminalView::PatternKey(20, "node-7 at 10.0.0.7"),
            TerminalView::PatternKey(20, "node-12 at 10.0.0.12"));
}

TEST(TerminalViewTest, TheFirstShowsAndTheRestFoldIntoOneNoticePerWindow) {
  TerminalView view({.repeat_window = absl::Seconds(5), .job_lines_per_second = 0});
  std::vector<TerminalNotice> notices;
  EXPECT_EQ(view.Admit(Record("job-1", "h1", 30), "disk 91% full", "a:1", kStart), Verdict::kShow);
  for (int j = 2; j <= 50; ++j) {
    EXPECT_EQ(view.Admit(Record(absl::StrCat("job-", j), j % 2 ? "h1" : "h2", 30),
                         absl::StrCat("disk ", 90 + j % 9, "% full"), "a:1",
                         kStart + absl::Milliseconds(j)),
              Verdict::kHeld);
  }
  view.Tick(kStart + absl::Seconds(4), &notices);
  EXPECT_TRUE(notices.empty());
  view.Tick(kStart + absl::Seconds(5), &notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].levelno, 30);  // a repeated WARNING stays one
  EXPECT_EQ(notices[0].label, "repeated 49x across 49 jobs on 2 hosts");
  EXPECT_EQ(notices[0].message, "disk 95% full");  // job-50's
  // The window has closed: the next one shows at once again.
  EXPECT_EQ(
      view.Admit(Record("job-1", "h1", 30), "disk 99% full", "a:1", kStart + absl::Seconds(6)),
      Verdict::kShow);
  EXPECT_EQ(view.held(), 49u);
}

// An unsigned record (forgeable) does not fold into signed ones' notice,
// nor they into its: each kind folds apart, and the unsigned notice says so.
TEST(TerminalViewTest, UnsignedRecordsFoldApartAndAreMarked) {
  TerminalView view({.repeat_window = absl::Seconds(5), .job_lines_per_second = 0});
  EXPECT_EQ(view.Admit(Record("job-1", "h1", 30), "disk 91% full", "a:1", kStart), Verdict::kShow);
  EXPECT_EQ(view.Admit(Record("job-1", "h1", 30), "disk 92% full", "b:1", kStart, true),
            Verdict::kShow);
  EXPECT_EQ(view.Admit(Record("job-2", "h1", 30), "disk 93% full", "b:1", kStart, true),
            Verdict::kHeld);
  EXPECT_EQ(view.Admit(Record("job-2", "h1", 30), "disk 94% full", "a:1", kStart), Verdict::kHeld);
  std::vector<TerminalNotice> notices;
  view.Tick(kStart + absl::Seconds(5), &notices);
  ASSERT_EQ(notices.size(), 2u);
  std::set<std::string> labels = {notices[0].label, notices[1].label};
  EXPECT_EQ(labels, (std::set<std::string>{"repeated 1x by job-2 on h1",
                                           "repeated 1x by job-2 on h1, unsigned"}));
}

// One job's own progress shows as it comes, however alike its lines; the
// same lines from other jobs fold, and once the window closes whoever
// speaks first opens the next.
TEST(TerminalViewTest, AJobsOwnLinesShowLiveWhileOtherJobsLinesFold) {
  TerminalView view({.repeat_window = absl::Seconds(5), .job_lines_per_second = 0});
  for (int step = 1; step <= 8; ++step) {
    const absl::Time now = kStart + absl::Milliseconds(300 * step);
    EXPECT_EQ(
        view.Admit(Record("sh-1", "h1"), absl::StrCat("step ", step, " of 8 done"), "a:1", now),
        Verdict::kShow)
        << step;
    EXPECT_EQ(view.Admit(Record("sh-2", "h1"), absl::StrCat("step ", step, " of 8 done"), "a:2",
                         now + absl::Milliseconds(1)),
              Verdict::kHeld)
        << step;
  }
  std::vector<TerminalNotice> notices;
  view.Tick(kStart + absl::Seconds(6), &notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].label, "repeated 8x by sh-2 on h1");
  EXPECT_EQ(notices[0].message, "step 8 of 8 done");
  EXPECT_EQ(view.Admit(Record("sh-2", "h1"), "step 9 of 8 done", "a:2", kStart + absl::Seconds(7)),
            Verdict::kShow);
  EXPECT_EQ(view.Admit(Record("sh-1", "h1"), "step 9 of 8 done", "a:1", kStart + absl::Seconds(7)),
            Verdict::kHeld);
}

TEST(TerminalViewTest, AFloodingJobIsHeldToItsShareAndSaysHowMuchWasNotShown) {
  TerminalView view({.repeat_window = absl::ZeroDuration(),
                     .job_lines_per_second = 100,
                     .hidden_hint = "see records.jsonl"});
  std::map<std::string, int> shown;
  // One job at 50,000 lines/s and ten at 1 line/s, for 3 seconds.
  for (int ms = 0; ms < 3000; ++ms) {
    const absl::Time now = kStart + absl::Milliseconds(ms);
    for (int i = 0; i < 50; ++i) {
      if (view.Admit(Record("flood", "h"), "x", "a:1", now) == Verdict::kShow) ++shown["flood"];
    }
    if (ms % 1000 == 0) {
      for (int q = 0; q < 10; ++q) {
        const std::string job = absl::StrCat("quiet-", q);
        EXPECT_EQ(view.Admit(Record(job, "h"), "y", "a:1", now), Verdict::kShow) << job;
      }
    }
  }
  // A second's burst, then 100 a second.
  EXPECT_GE(shown["flood"], 300);
  EXPECT_LE(shown["flood"], 401);
  std::vector<TerminalNotice> notices;
  view.Finish(&notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].message, absl::StrCat(150000 - shown["flood"],
                                             " lines from flood not shown (more than 100 "
                                             "a second); see records.jsonl"));
  EXPECT_EQ(view.hidden(), static_cast<uint64_t>(150000 - shown["flood"]));
}

TEST(TerminalViewTest, MemoryStaysBoundedAndWhatIsLetGoIsCounted) {
  TerminalView view({.repeat_window = absl::Seconds(5),
                     .job_lines_per_second = 1000,
                     .max_patterns = 20000,
                     .max_jobs = 10000});
  std::vector<TerminalNotice> notices;
  uint64_t repeats = 0;
  // 1,000,000 distinct lines from 10,000 jobs, within one window; every
  // tenth line is also said once by another job.
  for (int i = 0; i < 1000000; ++i) {
    const LogRecord record = Record(absl::StrCat("job-", i % 10000), "h");
    std::string text =
        absl::StrCat("line ", std::string(1, 'a' + i % 26), "x",
                     std::string(1, 'a' + (i / 26) % 26), std::string(1, 'a' + (i / 676) % 26),
                     std::string(1, 'a' + (i / 17576) % 26), " ", i / 456976);
    const absl::Time now = kStart + absl::Microseconds(i);
    view.Admit(record, text, "a:1", now);
    const LogRecord other = Record(absl::StrCat("job-", (i + 1) % 10000), "h");
    if (i % 10 == 0 && view.Admit(other, text, "a:1", now) == Verdict::kHeld) ++repeats;
    ASSERT_LE(view.patterns(), 20000u);
    ASSERT_LE(view.jobs(), 10000u);
  }
  EXPECT_GT(view.patterns_let_go(), 0u);
  view.Finish(&notices);
  uint64_t folded = 0;
  for (const TerminalNotice& notice : notices) {
    if (absl::StartsWith(notice.label, "repeated 1x by job-")) ++folded;
  }
  // Nothing held is lost from view: each repeat has its notice, even for
  // patterns let go early.
  EXPECT_EQ(folded, repeats);
  EXPECT_EQ(repeats, 100000u);
}

}  // namespace
}  // namespace toil::rtlog::internal
