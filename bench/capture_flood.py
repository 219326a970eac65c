#!/usr/bin/env python3
"""A job printing as fast as it can, captured or not, side by side.

Runs `toil-rtlog run -- seq 1 LINES` with --capture=true and --capture=false,
alternating, and reports, median (range) of each: the job's own wall time
(the run report's wall_seconds), the run's wall time, and the lines the
leader showed. Every run's job log file must hold every line: a run whose
file does not is reported and makes the exit status 1.

  bazel build -c opt //toil/cli:toil-rtlog
  bench/capture_flood.py --tool=bazel-bin/toil/cli/toil-rtlog --runs=11
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def one_run(tool, lines, capture, log_dir):
    """The job's wall time, the run's, lines shown; None if the file is short."""
    command = [
        tool, "run", "--output=/dev/null", "--report=json", "--history=false",
        f"--log_dir={log_dir}", f"--capture={'true' if capture else 'false'}",
        "--", "seq", "1", str(lines),
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
    return job["wall_seconds"], run_wall, int(job["records"])


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
    complete = True
    for _ in range(args.runs):
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
    if results[True] and results[False]:
        ratio = (statistics.median(r[0] for r in results[True]) /
                 statistics.median(r[0] for r in results[False]))
        print(f"job wall time, captured / not captured (medians): {ratio:.2f}x")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
