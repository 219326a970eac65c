#!/usr/bin/env python3
"""A real Toil workflow (Debian's toil) for the tests of Toil with toil-rtlog.

    [TOIL_WORKFLOW_ENABLE=JSON] toil_workflow.py JOBSTORE --jobs N [--cpp-job PATH] TOIL-OPTIONS...

With TOIL_WORKFLOW_ENABLE, the first thing it does is
toil_rtlog.enable(**JSON), as a user's script would (in the leader and, as
Toil's workers import the script, in every worker: they inherit the
variable); without, Toil's own real-time logging is left alone.
The root job starts N children; child K logs through Toil's RealtimeLogger
what json.dumps(record.__dict__) cannot carry: an argument of an object
(its JobDescription), an exception with its traceback, a message whose
arguments do not match, plus plain ones. With --cpp-job it also runs that
C++ program ("test_job count 3") as a child process, which logs through
RT_LOG. Child 1 also looks through every process's command line for the
run's secret and logs what it found.
"""
import argparse
import json
import os
import subprocess

if "TOIL_WORKFLOW_ENABLE" in os.environ:
    import toil_rtlog
    toil_rtlog.enable(**json.loads(os.environ["TOIL_WORKFLOW_ENABLE"]))

from toil.common import Toil  # noqa: E402
from toil.job import Job  # noqa: E402
from toil.realtimeLogger import RealtimeLogger  # noqa: E402


def secret_on_command_lines():
    """How many processes have the run's secret on their command line, of
    how many looked at."""
    path = os.environ.get("TOIL_RT_LOGGING_SECRET_FILE")
    secret = open(path).read().strip().encode() if path else b"no secret file"
    found = looked = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                found += secret in f.read()
                looked += 1
        except OSError:
            pass
    return found, looked


def child(job, k, cpp_job):
    RealtimeLogger.info("child %d plain %s %d%%", k, "text", 50)
    RealtimeLogger.info("child %d describes %s", k, job.description)
    RealtimeLogger.warning("child %d mismatched %d", k, "not a number")
    try:
        raise ValueError("boom in child %d" % k)
    except ValueError:
        RealtimeLogger.exception("child %d caught", k)
    if k == 1:
        found, looked = secret_on_command_lines()
        RealtimeLogger.info("secret on %d of %d command lines", found, looked)
    if cpp_job:
        subprocess.run([cpp_job, "count", "3"], check=True)
    RealtimeLogger.info("child %d done", k)


def root(job, jobs, cpp_job):
    RealtimeLogger.info("root starts %d children", jobs)
    for k in range(1, jobs + 1):
        job.addChildJobFn(child, k, cpp_job)


def main():
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--cpp-job", default="")
    options = parser.parse_args()
    with Toil(options) as toil:
        toil.start(Job.wrapJobFn(root, options.jobs, options.cpp_job))


if __name__ == "__main__":
    main()
