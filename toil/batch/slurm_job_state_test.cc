// Reading Slurm's output, against lines that Debian 12's Slurm 22.05 printed
// (scripts/slurm-cluster.sh's cluster) for jobs that ended each way.
#include "toil/batch/slurm_job_state.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace toil::batch {
namespace {

using ::testing::HasSubstr;

// `scontrol show job --oneliner ID`, shortened to the fields that matter
// and a few around them.
std::string Job(const std::string& state, const std::string& reason, const std::string& code,
                const std::string& name = "job-1") {
  return "JobId=5 JobName=" + name +
         " UserId=root(0) GroupId=root(0) Priority=4294901757 "
         "Nice=0 Account=(null) QOS=(null) JobState=" +
         state + " Reason=" + reason +
         " Dependency=(null) Requeue=0 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=" + code +
         " RunTime=00:00:03 TimeLimit=UNLIMITED TimeMin=N/A SubmitTime=2026-11-24T04:35:12 "
         "EligibleTime=2026-11-24T04:35:12 StartTime=2026-11-24T04:35:12 "
         "EndTime=2026-11-24T04:35:15 Partition=debug NodeList=node2 BatchHost=node2 "
         "Command=/tmp/x JobState=COMPLETED WorkDir=/tmp StdOut=/tmp/x.log\n";
}

TEST(SlurmJobStateTest, CompletedAndFailedKeepTheirExitStatus) {
  std::optional<SlurmJobEnd> end = ParseScontrolJob(Job("COMPLETED", "None", "0:0"));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->exit_code, 0);
  EXPECT_EQ(end->reason, "");
  EXPECT_EQ(end->host, "node2");
  EXPECT_EQ(end->wall_time, absl::Seconds(3));
  end = ParseScontrolJob(Job("FAILED", "NonZeroExitCode", "3:0"));
  EXPECT_EQ(end->exit_code, 3);
  EXPECT_EQ(end->reason, "");
}

TEST(SlurmJobStateTest, KilledBySignalIs128PlusTheSignal) {
  // `kill -9 $$` in a batch script: Slurm says JobLaunchFailure, 0:9.
  std::optional<SlurmJobEnd> end = ParseScontrolJob(Job("FAILED", "JobLaunchFailure", "0:9"));
  EXPECT_EQ(end->exit_code, 137);
  EXPECT_EQ(end->signal, 9);
  EXPECT_EQ(end->reason, "");
  EXPECT_EQ(ParseScontrolJob(Job("FAILED", "NonZeroExitCode", "137:0"))->signal, 0);
}

TEST(SlurmJobStateTest, EndingsSlurmChoseAreNamed) {
  std::optional<SlurmJobEnd> end = ParseScontrolJob(Job("CANCELLED", "None", "0:15"));
  EXPECT_EQ(end->exit_code, 143);
  EXPECT_THAT(end->reason, HasSubstr("cancelled (Slurm: CANCELLED)"));
  end = ParseScontrolJob(Job("TIMEOUT", "TimeLimit", "0:15"));
  EXPECT_THAT(end->reason, HasSubstr("timed out"));
  end = ParseScontrolJob(Job("NODE_FAIL", "NodeDown", "0:0"));
  EXPECT_EQ(end->exit_code, 1);  // no status, but not a success
  EXPECT_THAT(end->reason, HasSubstr("node failure"));
  end = ParseScontrolJob(Job("OUT_OF_MEMORY", "OutOfMemory", "0:125"));
  EXPECT_THAT(end->reason, HasSubstr("out of memory"));
  end = ParseScontrolJob(Job("CANCELLED", "None", "0:0"));  // while pending
  EXPECT_EQ(end->exit_code, 1);
}

TEST(SlurmJobStateTest, ALaterFieldOfTheSameNameDoesNotWin) {
  // The job's own Command= or a path could contain "JobState=...": the
  // first field of the name is Slurm's.
  EXPECT_EQ(ParseScontrolJob(Job("TIMEOUT", "TimeLimit", "0:15"))->state, "TIMEOUT");
  EXPECT_FALSE(ParseScontrolJob("slurm_load_jobs error: Invalid job id specified\n"));
}

TEST(SlurmJobStateTest, SqueueStatesAndFinalOnes) {
  const auto states = ParseSqueueStates(
      "5|CANCELLED\n1|COMPLETED\n6|RUNNING\n 7|PENDING \n\ngarbage\n8|COMPLETING\n");
  EXPECT_EQ(states.size(), 5u);
  EXPECT_EQ(states.at("7"), "PENDING");
  EXPECT_TRUE(IsFinalSlurmState(states.at("5")));
  EXPECT_TRUE(IsFinalSlurmState("CANCELLED by 0"));
  EXPECT_FALSE(IsFinalSlurmState(states.at("6")));
  EXPECT_FALSE(IsFinalSlurmState(states.at("8")));  // processes still exiting
}

TEST(SlurmJobStateTest, ControllerHostFromTheConfiguration) {
  EXPECT_EQ(ParseSlurmctldHost("ClusterName             = toilrtlog1\n"
                               "SlurmctldHost[0]        = vm(198.18.1.1)\n"),
            "198.18.1.1");
  EXPECT_EQ(ParseSlurmctldHost("SlurmctldHost[0]        = head1\n"), "head1");
  EXPECT_EQ(ParseSlurmctldHost("nothing here\n"), "");
}

}  // namespace
}  // namespace toil::batch
