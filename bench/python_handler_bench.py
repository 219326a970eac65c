#!/usr/bin/env python3
"""What a Python job's logging costs it, and what reaches the leader:
Toil's own sender (toil.realtimeLogger.JSONDatagramHandler, from Debian's
toil) against toil_rtlog.Handler by datagram and over the stream, side by
side in one run, each against a fresh `toil-rtlog serve`.

    /usr/bin/python3 bench/python_handler_bench.py --tool bazel-bin/toil/cli/toil-rtlog

A job logs --records records "record %d" as fast as it can; the figure is
the job's wall time per record (its logging loop, plus, for the stream, the
wait at exit for the leader's acknowledgement), and the records the leader
received. The senders take turns, --runs times; printed: median (min-max).
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHONPATH = os.path.join(os.path.dirname(HERE), "python")

JOB = r"""
import logging, os, sys, time
kind, n = sys.argv[1], int(sys.argv[2])
if kind == "toil":
    from toil.realtimeLogger import JSONDatagramHandler
    host, port = os.environ["TOIL_RT_LOGGING_ADDRESS"].rsplit(":", 1)
    handler = JSONDatagramHandler(host, int(port))
else:
    import toil_rtlog
    handler = toil_rtlog.Handler()
log = logging.getLogger("bench")
log.propagate = False
log.setLevel(logging.INFO)
log.addHandler(handler)
start = time.perf_counter()
for i in range(n):
    log.info("record %d", i)
handler.close()
print(time.perf_counter() - start)
"""

SENDERS = {
    "Toil's JSONDatagramHandler (unsigned datagrams)": ("toil", False),
    "toil_rtlog.Handler, signed datagrams": ("rtlog", False),
    "toil_rtlog.Handler, stream (TOIL_RT_LOGGING_OVERFLOW=wait)": ("rtlog", True),
}


def serve(tool):
    """A serve that shows nothing; its variables for jobs."""
    process = subprocess.Popen(
        [tool, "serve", "--allow_unsigned", "--control=off", "--output=/dev/null",
         "--report=none"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    env = {}
    for line in process.stdout:
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export":
            name, value = words[1].split("=", 1)
            env[name] = value
    return process, env


def received(process):
    """Stops serve; the records its summary says it received."""
    process.terminate()
    err = process.communicate(timeout=60)[1]
    for part in err.split(";"):
        if "records received" in part:
            return int(part.split("records received")[0].split()[-1])
    raise RuntimeError("serve said no count: " + err)


def run_once(tool, kind, stream, records):
    process, env = serve(tool)
    if not stream:
        env.pop("TOIL_RT_LOGGING_STREAM", None)
    env.update(PYTHONPATH=PYTHONPATH, TOIL_RT_LOGGING_OVERFLOW="wait:60s")
    job = subprocess.run([sys.executable, "-c", JOB, kind, str(records)], capture_output=True,
                         text=True, env=dict(os.environ, **env), timeout=600)
    if job.returncode != 0:
        raise RuntimeError(job.stderr)
    time.sleep(0.5)  # datagrams still in the leader's socket
    return float(job.stdout) / records * 1e6, received(process)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tool", required=True, help="the toil-rtlog to serve with")
    parser.add_argument("--records", type=int, default=100000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    results = {name: [] for name in SENDERS}
    for _ in range(options.runs):
        for name, (kind, stream) in SENDERS.items():
            results[name].append(run_once(options.tool, kind, stream, options.records))
    for name, runs in results.items():
        micros = [m for m, _ in runs]
        got = [r for _, r in runs]
        print("%s: %.1f us per record (%.1f-%.1f); received %d (%d-%d) of %d"
              % (name, statistics.median(micros), min(micros), max(micros),
                 statistics.median(got), min(got), max(got), options.records))


if __name__ == "__main__":
    main()
