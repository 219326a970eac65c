#!/usr/bin/env python3
"""Prints %-formatting cases with Python's own answers, one JSON object a line.

Each line: {"format": str, "args_json": str, "ok": bool, "result": str|null,
"error": exception class name|null}. The args are taken through a JSON round
trip first (tuples become lists, then tuples again), so Python formats exactly
the values a leader receives. Standard library only.

    percent_cases.py [--random N] [--seed S]
"""
import argparse
import json
import random

VALUES = [
    0, 1, -1, 7, 42, -42, 255, 65, 0x10FFFF, 2**31, -2**63, 2**64 + 5, 10**30, -(10**25),
    0.0, -0.0, 0.5, 1.5, -2.5, 3.14159, 1e-7, 1e-5, 0.0001, 123456789.0, 1e16,
    float("nan"), float("inf"), float("-inf"), 10**400, -(10**320),
    1.2345e+16, 1e22, 1e300, 2.5e-300, 1/3, 100.0, 12345.678,
    True, False, None,
    "", "x", "hello", "it's", 'say "hi"', "both ' and \"", "tab\there",
    "new\nline", "back\\slash", "é", "日本語", "🎉", "\x00nul", "\x7f", "\x85",
    "\u00a0nbsp", "\u200bzw", "\u202eRLO", "\U0001F600", "%s", "%",
    [1, "a", None], [], {"k": 1, "j": [2.5, True]}, {}, [[1, 2], {"x": "y"}],
]

CONVERSIONS = "sradiuxXoeEfFgGc"
FLAGS = "-+ #0"


def python_result(fmt, args):
    try:
        return True, fmt % args, None
    except Exception as e:  # Python's own verdict, whatever it is
        return False, None, type(e).__name__


def emit(fmt, args, out):
    args_json = json.dumps(args)
    received = json.loads(args_json)
    if isinstance(received, list):
        received = tuple(received)
    ok, result, error = python_result(fmt, received)
    out.append({"format": fmt, "args_json": args_json, "ok": ok,
                "result": result, "error": error})


def fixed_cases(out):
    for v in VALUES:
        for c in CONVERSIONS:
            emit("%" + c, [v], out)
    emit("%d%%", [5], out)
    emit("%5s|%-5s|%05d|%+d|% d|%#x|%#o|%#X|%.3s|%.2f", ["a", "b", 42, 3, 4, 255, 8, 255, "abcdef", 2.345], out)
    emit("%*d|%-*d|%.*f|%*.*f", [5, 42, 5, 42, 2, 3.14159, 8, 3, 2.5], out)
    emit("%*d", [-6, 1], out)
    emit("%.*f", [-3, 1.25], out)
    emit("%(name)s is %(age)d", {"name": "Ann", "age": 41}, out)
    emit("%(a(b))s", {"a(b)": "nested"}, out)
    emit("%(missing)s", {"name": "x"}, out)
    emit("%(name)s", ["not", "a", "mapping"], out)
    emit("%s", {"a": 1}, out)
    emit("no specs", {"a": 1}, out)
    emit("%s %s", ["one"], out)
    emit("%s", ["one", "two"], out)
    emit("%", ["x"], out)
    emit("%y", ["x"], out)
    emit("%ld %hd %Lf", [1, 2, 3.5], out)
    emit("%.3d|%.0d|%5.3d|%-5.3x", [5, 0, 7, 255], out)
    emit("%010.3f|%-10.2e|%+.4g|%#.3g|%G", [-1.5, 12345.678, 0.000012345, 1.0, 1e-10], out)
    emit("%c%c%c", [72, "i", 0x1F600], out)
    emit("%c", ["ab"], out)
    emit("%c", [0x110000], out)
    emit("%d", ["5"], out)
    emit("%x", [5.0], out)
    emit("%f", ["x"], out)
    emit("%*d", ["5", 1], out)
    emit("%5%|%-5%", [], out)
    emit("%s é %s 🎉 %r", ["à", "日本", "ü"], out)
    emit("%d", [1e20], out)
    emit("%d", [-2.9e25], out)
    emit("%e", [10**400], out)


def random_value(rng):
    return rng.choice(VALUES)


def random_spec(rng):
    spec = "%"
    stars = 0
    for f in FLAGS:
        if rng.random() < 0.15:
            spec += f
    r = rng.random()
    if r < 0.15:
        spec += "*"
        stars += 1
    elif r < 0.5:
        spec += str(rng.randint(0, 12))
    r = rng.random()
    if r < 0.1:
        spec += ".*"
        stars += 1
    elif r < 0.4:
        spec += "." + str(rng.randint(0, 8))
    spec += rng.choice(CONVERSIONS)
    return spec, stars


def random_cases(n, seed, out):
    rng = random.Random(seed)
    for _ in range(n):
        fmt = ""
        args = []
        for _ in range(rng.randint(1, 3)):
            fmt += rng.choice(["", "x", " - ", "é", "[", "%%"])
            spec, stars = random_spec(rng)
            fmt += spec
            for _ in range(stars):
                args.append(rng.randint(-15, 15))
            args.append(random_value(rng))
        # Sometimes one argument too many or too few.
        r = rng.random()
        if r < 0.05:
            args.append(1)
        elif r < 0.1 and args:
            args.pop()
        emit(fmt, args, out)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--random", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    out = []
    fixed_cases(out)
    random_cases(options.random, options.seed, out)
    for case in out:
        print(json.dumps(case))


if __name__ == "__main__":
    main()
