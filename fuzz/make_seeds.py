#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora from real records and real cases.

decoder: every datagram a real C++ job (tests/test_job) and a real Python job
using Toil's handler (tests/python/toil_job.py) send to a UDP socket, and the
hostile records of HOSTILE (sender fields that try to start a line of their
own or drive the terminal; values Python's json writes that strict JSON
lacks).
percent_format: every 8th of tests/python/percent_cases.py's fixed cases,
each as "format NUL args-json". Each seed file is named by its content's SHA-1.

    bazel build //tests:test_job
    fuzz/make_seeds.py bazel-bin/tests/test_job
"""
import hashlib
import json
import os
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def write(directory, data):
    os.makedirs(directory, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


HOSTILE = [
    b'{"msg":"m","job":"evil\\n05:00:00.000 CRITICAL [admin node1 pid 1] forged",'
    b'"hostname":"h\\u001b]0;t\\u0007\\u009b\\u202e","processName":"p\\r",'
    b'"name":"n\\n","filename":"f\\n"}',
    b'{"msg":"%s %r %d","args":[NaN,Infinity,-Infinity]}',
    b'{"msg":"%d","args":[' + b"9" * 400 + b'],"extra":NaN}',
]


def capture(commands):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(1.0)
    env = dict(os.environ, TOIL_RT_LOGGING_LEVEL="DEBUG",
               TOIL_RT_LOGGING_ADDRESS="127.0.0.1:%d" % sock.getsockname()[1],
               TOIL_JOB_NAME="seed/1")
    for command in commands:
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    datagrams = []
    try:
        while True:
            datagrams.append(sock.recv(65536))
    except socket.timeout:
        pass
    return datagrams


def main():
    test_job = sys.argv[1]
    datagrams = capture([
        [test_job, "levels"], [test_job, "mixed"], [test_job, "critical"],
        [test_job, "big", "70000"],
        [sys.executable, os.path.join(ROOT, "tests/python/toil_job.py")],
    ])
    for d in datagrams + HOSTILE:
        write(os.path.join(HERE, "corpus/decoder"), d)
    cases = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tests/python/percent_cases.py")],
        check=True, capture_output=True, text=True).stdout.splitlines()
    for line in cases[::8]:
        case = json.loads(line)
        write(os.path.join(HERE, "corpus/percent_format"),
              case["format"].encode("utf-8", "surrogatepass") + b"\0" +
              case["args_json"].encode("utf-8"))
    print("%d datagrams, %d percent cases" % (len(datagrams), len(cases[::8])))


if __name__ == "__main__":
    main()
