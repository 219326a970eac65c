// For tests of batch systems: every job a batch system reports finished
// within a deadline, by name.
#ifndef TESTS_WAIT_FOR_JOBS_H_
#define TESTS_WAIT_FOR_JOBS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "toil/batch/batch_system.h"

namespace toil::testing {

// Waits until `batch` has no unfinished job or Scaled(timeout) passed
// (a failure then); the jobs it reported, by name.
inline std::map<std::string, batch::FinishedJob> WaitForAll(batch::BatchSystem& batch,
                                                            absl::Duration timeout) {
  std::map<std::string, batch::FinishedJob> done;
  const absl::Time deadline = absl::Now() + Scaled(timeout);
  while (batch.UnfinishedJobs() > 0 && absl::Now() < deadline) {
    std::optional<batch::FinishedJob> job = batch.WaitForFinishedJob(absl::Milliseconds(100));
    if (job) done[job->name] = *std::move(job);
  }
  EXPECT_EQ(batch.UnfinishedJobs(), 0) << "jobs unfinished after " << timeout;
  return done;
}

}  // namespace toil::testing

#endif  // TESTS_WAIT_FOR_JOBS_H_
