#!/usr/bin/env python3
"""A Python job that logs through toil_rtlog.Handler, for the C++ leader's
tests of it (no Toil here: any Python program can use the handler).

    handler_job.py                the cases below
    handler_job.py count N        N records "record i", as fast as it can
    handler_job.py paced N MS     N records "paced i", MS ms apart; prints
                                  "started" on stdout first, then "logged i"
                                  as it logs each

It takes the run's variables from its environment. The cases, on logger
"handler.job": a plain record, one with an argument JSON cannot carry, one
with an exception, one of 200,000 characters (more than a datagram holds),
then forks a child that logs "from the child" (and shuts logging down
before os._exit, which skips atexit); the parent logs "parent done" once
the child has exited.
"""
import logging
import os
import sys
import time

import toil_rtlog


def main():
    log = logging.getLogger("handler.job")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    log.addHandler(toil_rtlog.Handler())
    if sys.argv[1:2] == ["count"]:
        for i in range(int(sys.argv[2])):
            log.info("record %d", i)
        return
    if sys.argv[1:2] == ["paced"]:
        print("started", flush=True)
        for i in range(int(sys.argv[2])):
            log.info("paced %d", i)
            print("logged %d" % i, flush=True)
            time.sleep(int(sys.argv[3]) / 1000)
        return
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
        logging.shutdown()  # os._exit skips atexit: send what is queued first
        os._exit(0)
    os.waitpid(child, 0)
    log.info("parent done")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
