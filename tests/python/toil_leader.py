#!/usr/bin/env python3
"""A leader built the way Toil's is, for the C++ jobs' tests.

A socketserver UDP server whose handler does json.loads,
logging.makeLogRecord and logger.handle. Two handlers format what arrives:
Toil's usual format, and one using %(process)d, %(lineno)d, %(filename)s,
%(funcName)s and %(levelno)d. The second has a level (--handler-level), so
Python's own level filtering applies to the records' levels.

Prints "READY <port>" on stdout, then every formatted line on stdout as it
arrives; stops after --count records reached the logger (or --timeout s).
Any logging error ("--- Logging error ---") goes to stderr.
"""
import argparse
import json
import logging
import socket
import socketserver
import sys
import threading

TOIL_FORMAT = "[%(asctime)s] [%(threadName)-10s] [%(levelname).1s] [%(name)s] %(message)s"
DETAIL_FORMAT = ("detail pid=%(process)d line=%(lineno)d file=%(filename)s "
                 "func=%(funcName)s levelno=%(levelno)d level=%(levelname)s "
                 "thread=%(thread)d msg=%(message)s")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--handler-level", default="NOTSET")
    parser.add_argument("--ipv6", action="store_true")
    options = parser.parse_args()

    received = []
    done = threading.Event()
    log = logging.getLogger("toil-leader")
    log.propagate = False
    log.setLevel(1)
    toil_handler = logging.StreamHandler(sys.stdout)
    toil_handler.setFormatter(logging.Formatter(TOIL_FORMAT))
    detail_handler = logging.StreamHandler(sys.stdout)
    detail_handler.setFormatter(logging.Formatter(DETAIL_FORMAT))
    detail_handler.setLevel(options.handler_level)
    log.addHandler(toil_handler)
    log.addHandler(detail_handler)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            data, _ = self.request
            try:
                record = logging.makeLogRecord(json.loads(data.decode("utf-8")))
            except Exception as e:
                print("MALFORMED %r" % e, file=sys.stderr, flush=True)
                return
            log.handle(record)
            sys.stdout.flush()
            received.append(record)
            if len(received) >= options.count:
                done.set()

    class Server(socketserver.UDPServer):
        address_family = socket.AF_INET6 if options.ipv6 else socket.AF_INET

    server = Server(("::1" if options.ipv6 else "127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print("READY %d" % server.server_address[1], flush=True)
    done.wait(options.timeout)
    server.shutdown()
    print("RECEIVED %d" % len(received), flush=True)


if __name__ == "__main__":
    main()
