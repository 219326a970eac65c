#!/usr/bin/env python3
"""A Python job that logs the way Toil's jobs do, for the C++ leader's tests.

It sends with a logging.handlers.DatagramHandler whose datagram is
json.dumps(record.__dict__) (Toil's JSONDatagramHandler) to
TOIL_RT_LOGGING_ADDRESS. For every record it sends, it prints one JSON line
on stdout: the logger name (unique per record), what record.getMessage()
gives (or the exception it raises), and other facts the leader must show.
Standard library only.
"""
import json
import logging
import logging.handlers
import os
import sys
import threading


class JSONDatagramHandler(logging.handlers.DatagramHandler):
    """Toil's handler: the datagram is the record's attributes as JSON."""

    def makePickle(self, record):
        return json.dumps(record.__dict__).encode("utf-8")


def main():
    address = os.environ["TOIL_RT_LOGGING_ADDRESS"]
    host, port = address.rsplit(":", 1)
    handler = JSONDatagramHandler(host.strip("[]"), int(port))
    if ":" in host:  # IPv6: DatagramHandler makes an IPv4 socket by default
        import socket
        handler.sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)

    logging.addLevelName(25, "NOTICE")
    cases = [
        (logging.INFO, "plain message, 100%% literal? no: %s", ("args",)),
        (logging.INFO, "C-style %d%% done, %s", (50, "ok")),
        (logging.WARNING, "%(user)s logged in from %(host)s", ({"user": "ann", "host": "h1"},)),
        (logging.INFO, "floats %s %r %.3f %e %g", (1e-07, 123456789.0, 2.0 / 3, 12345.678, 0.0001)),
        (logging.INFO, "big int %d and %x", (2 ** 70, 2 ** 70)),
        (logging.INFO, "values %s %s %s %r", (True, None, [1, "two", {"k": 3.5}], "it's")),
        (logging.INFO, "unicode %s \u00e9\u65e5\U0001F389", ("\U0001F600 caf\u00e9",)),
        (logging.ERROR, "too few %s %s", ("one",)),
        (logging.ERROR, "bad conversion %y", (1,)),
        (logging.INFO, "no args keeps %s and %d", ()),
        (25, "custom level %s", ("NOTICE",)),
        (logging.DEBUG, "width %-8s| star %*d| prec %.*f", ("left", 6, 42, 2, 3.14159)),
        # json.dumps writes NaN, Infinity, -Infinity (not JSON, but Python's).
        (logging.INFO, "nan %s, inf %r, %05.1f, huge %d", (float("nan"), float("-inf"),
                                                          float("inf"), 10 ** 400)),
    ]
    results = []

    def send(name, level, msg, args, **extra):
        logger = logging.getLogger(name)
        logger.propagate = False
        logger.setLevel(1)
        logger.handlers = [handler]
        record = logger.makeRecord(name, level, __file__, 10, msg, args, None,
                                   func="main", extra=extra or None)
        try:
            expected, ok = record.getMessage(), True
        except Exception as e:
            expected, ok = type(e).__name__, False
        handler.handle(record)
        return record, expected, ok

    for i, (level, msg, args) in enumerate(cases):
        record, expected, ok = send("case.%d" % i, level, msg, args)
        results.append({"name": record.name, "expected": expected, "ok": ok,
                        "levelno": record.levelno, "thread": record.thread,
                        "process": record.process})

    # A traceback, sent the way logging's SocketHandler prepares one.
    try:
        raise ValueError("boom")
    except ValueError:
        logger = logging.getLogger("case.traceback")
        logger.propagate = False
        record = logger.makeRecord("case.traceback", logging.ERROR, __file__, 20,
                                   "it failed: %s", ("step 3",), sys.exc_info(),
                                   func="main")
    record.exc_text = logging.Formatter().formatException(record.exc_info)
    record.exc_info = None
    handler.handle(record)
    results.append({"name": record.name, "expected": record.getMessage(), "ok": True,
                    "exc_text": record.exc_text, "levelno": record.levelno,
                    "thread": record.thread, "process": record.process})

    # stack_info, unknown attributes, and a record from another thread.
    logger = logging.getLogger("case.stack")
    logger.propagate = False
    record = logger.makeRecord("case.stack", logging.INFO, __file__, 30, "with stack",
                               (), None, func="main",
                               extra={"custom": {"nested": [1, 2]}, "taskName": None})
    record.stack_info = "Stack (most recent call last):\n  File \"x.py\", line 1"
    handler.handle(record)
    results.append({"name": record.name, "expected": "with stack", "ok": True,
                    "stack_info": record.stack_info, "levelno": record.levelno,
                    "thread": record.thread, "process": record.process})

    def from_thread():
        rec, expected, ok = send("case.thread", logging.INFO, "from %s", ("a thread",))
        results.append({"name": rec.name, "expected": expected, "ok": ok,
                        "levelno": rec.levelno, "thread": rec.thread,
                        "process": rec.process})

    t = threading.Thread(target=from_thread)
    t.start()
    t.join()

    # A logged object that is not a string (str(msg) on the Python side).
    record, expected, ok = send("case.object", logging.INFO, {"b": 1, "a": [2.5, None]}, ())
    results.append({"name": record.name, "expected": expected, "ok": ok,
                    "levelno": record.levelno, "thread": record.thread,
                    "process": record.process})

    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
