// JobLedger: what each job sent, for the end-of-run report. A sink that
// counts every record it is handed by job name and level and keeps each
// job's last few messages (cut short), in bounded memory: at most kMaxJobs
// jobs; when a new one would exceed that, the half heard from least recently
// are forgotten (and counted).
//
//   JobLedger ledger;          // among the dispatcher's sinks
//   std::vector<JobLog> jobs = ledger.Snapshot();  // in order of first record
#ifndef TOIL_RTLOG_LEADER_REPORT_JOB_LEDGER_H_
#define TOIL_RTLOG_LEADER_REPORT_JOB_LEDGER_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "toil/rtlog/base/log_stats.h"
#include "toil/rtlog/sinks/log_sink.h"

namespace toil::rtlog::internal {

class JobLedger : public LogSink {
 public:
  static constexpr size_t kMaxJobs = 10000;

  void Send(const LogEntry& entry) override;

  // Every job kept, in the order their first records arrived (lost is 0:
  // the sequence tracker knows that).
  std::vector<JobLog> Snapshot() const;
  // Jobs forgotten to stay within kMaxJobs.
  uint64_t forgotten() const;

 private:
  struct Entry {
    JobLog log;
    uint64_t first = 0;    // arrival order of its first record
    uint64_t latest = 0;   // and of its latest
    size_t next_line = 0;  // where the next line goes in log.last_lines
  };
  Entry& EntryFor(const LogEntry& record);
  void ForgetOldestLocked();

  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> jobs_;
  // The job of the last record, whose records mostly come in runs: found
  // again without a lookup. Cleared whenever jobs_ changes shape.
  Entry* last_ = nullptr;
  std::string last_job_;
  uint64_t arrivals_ = 0;
  uint64_t forgotten_ = 0;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_REPORT_JOB_LEDGER_H_
