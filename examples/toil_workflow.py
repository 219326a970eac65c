#!/usr/bin/env python3
"""A Toil workflow whose real-time logging toil-rtlog serves.

    TOIL_RTLOG_BIN=bazel-bin/toil/cli/toil-rtlog PYTHONPATH=python \
        /usr/bin/python3 examples/toil_workflow.py ./jobstore --realTimeLogging --logInfo

Three jobs align a chunk each and say so through Toil's own RealtimeLogger;
the third fails to read a file and logs the exception. Their records reach
the leader's terminal signed, named by Toil job, traceback included, and
toil-rtlog's report ends the run.
"""
import toil_rtlog

toil_rtlog.enable()  # first: Toil's leader and each of its workers run this line

from toil.common import Toil  # noqa: E402
from toil.job import Job  # noqa: E402
from toil.realtimeLogger import RealtimeLogger  # noqa: E402


def align(job, chunk):
    RealtimeLogger.info("aligning chunk %d on %s", chunk, job.description)
    if chunk == 3:
        try:
            open("/nonexistent/chunk-3.fastq")
        except OSError:
            RealtimeLogger.exception("chunk %d: cannot read its reads", chunk)
            return
    RealtimeLogger.info("chunk %d aligned: %d reads", chunk, 1000 * chunk)


def start(job, chunks):
    RealtimeLogger.info("splitting the reads into %d chunks", chunks)
    for chunk in range(1, chunks + 1):
        job.addChildJobFn(align, chunk)


if __name__ == "__main__":
    options = Job.Runner.getDefaultArgumentParser().parse_args()
    with Toil(options) as toil:
        toil.start(Job.wrapJobFn(start, 3))
