#!/usr/bin/env python3
"""A job printing as fast as it can, captured or not, side by side.

Runs `toil-rtlog run -- seq 1 LINES` with --capture=true and --capture=false,
alternating, and reports, median (range) of each: the job's own wall time,
the run's wall time, and the lines the leader showed. The job's wall time is
seq's, from its start to its exit, taken by a small Python parent inside the
job that waits for it (the run report's wall_seconds comes from a batch
system that looks for ended jobs every 2 ms: too coarse for a job of 10 ms). Every run's job log file must hold every line: a run whose
file does not is reported and makes the exit status 1. Beside them, the
floor of any capture through a pipe: `seq 1 LINES` writing into `cat`,
which writes the file (the wall time of seq alone, measured here).

  bazel build -c opt //toil/cli:toil-rtlog
  bench/capture_flood.py --tool=bazel-bin/toil/cli/toil-rtlog --runs=11
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# The job: runs its arguments (after the first) with its own stdout and
# stderr, and writes their wall time, in seconds, to the file the first names.
TIMER = """
import subprocess, sys, time
start = time.monotonic()
code = subprocess.call(sys.argv[2:])
elapsed = time.monotonic() - start
with open(sys.argv[1], "w") as out:
    out.write(repr(elapsed))
sys.exit(code)
"""


def one_run(tool, lines, capture, log_dir):
    """The job's wall time, the run's, lines shown; None if the file is short."""
    timing = os.path.join(log_dir, "seq.seconds")
    command = [
        tool, "run", "--output=/dev/null", "--report=json", "--history=false",
        f"--log_dir={log_dir}", f"--capture={'true' if capture else 'false'}",
        "--", sys.executable, "-c", TIMER, timing, "seq", "1", str(lines),
    ]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    run_wall = time.monotonic() - start
    job = json.loads(done.stdout)["jobs"][0]
    with open(job["log_path"], "rb") as log:
        in_file = sum(1 for _ in log)
    if in_file != lines:
        print(f"capture={capture}: the log file holds {in_file} of {lines} lines",
              file=sys.stderr)
        return None
    with open(timing) as seconds:
        return float(seconds.read()), run_wall, int(job["records"])


def into_cat(lines, directory):
    """seq's wall time writing into a pipe that cat copies to a file."""
    with open(os.path.join(directory, "cat.log"), "wb") as log:
        read_end, write_end = os.pipe()
        cat = subprocess.Popen(["cat"], stdin=read_end, stdout=log)
        os.close(read_end)
        start = time.monotonic()
        seq = subprocess.Popen(["seq", "1", str(lines)], stdout=write_end)
        os.close(write_end)
        seq.wait()
        wall = time.monotonic() - start
        cat.wait()
    return wall


def summary(values, unit):
    return (f"{statistics.median(values):.4f} {unit} "
            f"({min(values):.4f}-{max(values):.4f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", required=True, help="the toil-rtlog binary")
    parser.add_argument("--lines", type=int, default=1000000)
    parser.add_argument("--runs", type=int, default=11, help="runs of each, at least 1")
    args = parser.parse_args()
    if args.runs < 1 or args.lines < 1:
        parser.error("--runs and --lines must be at least 1")
    results = {True: [], False: []}
    floor = []
    complete = True
    for _ in range(args.runs):
        directory = tempfile.mkdtemp(prefix="capture-flood-")
        try:
            floor.append(into_cat(args.lines, directory))
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        for capture in (True, False):
            log_dir = tempfile.mkdtemp(prefix="capture-flood-")
            try:
                result = one_run(args.tool, args.lines, capture, log_dir)
            finally:
                shutil.rmtree(log_dir, ignore_errors=True)
            complete = complete and result is not None
            if result is not None:
                results[capture].append(result)
    for capture in (True, False):
        rows = results[capture]
        if not rows:
            continue
        print(f"{'captured' if capture else 'not captured':>13}: "
              f"job {summary([r[0] for r in rows], 's')}, "
              f"run {summary([r[1] for r in rows], 's')}, "
              f"lines shown {min(r[2] for r in rows)}-{max(r[2] for r in rows)}")
    print(f"{'seq | cat':>13}: job {summary(floor, 's')}")
    if results[True] and results[False]:
        alone = statistics.median(r[0] for r in results[False])
        ratio = statistics.median(r[0] for r in results[True]) / alone
        print(f"job wall time, captured / not captured (medians): {ratio:.2f}x; "
              f"seq | cat / not captured: {statistics.median(floor) / alone:.2f}x")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
