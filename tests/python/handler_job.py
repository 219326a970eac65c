#!/usr/bin/env python3
"""A Python job that logs through toil_rtlog.Handler, for the C++ leader's
tests of it (no Toil here: any Python program can use the handler).

It takes the run's variables from its environment and logs, on logger
"handler.job": a plain record, one with an argument JSON cannot carry, one
with an exception, one of 200,000 characters (more than a datagram holds),
then forks a child that logs "from the child"; the parent logs "parent
done" once the child has exited.
"""
import logging
import os
import sys

import toil_rtlog


def main():
    log = logging.getLogger("handler.job")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    log.addHandler(toil_rtlog.Handler())
    log.info("plain %s %d%%", "record", 7)
    log.info("an object %s", object())
    try:
        {}["missing"]
    except KeyError:
        log.exception("a lookup failed")
    log.warning("long " + "\u00e9x" * 100000)
    child = os.fork()
    if child == 0:
        log.info("from the child")
        os._exit(0)
    os.waitpid(child, 0)
    log.info("parent done")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
