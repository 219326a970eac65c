"""A logging.Handler that sends records to a toil-rtlog leader (or to Toil's
own Python leader) over UDP, as the job side of real-time logging.

It reads the run's variables from the environment its batch system handed
the job: TOIL_RT_LOGGING_ADDRESS (where to send), TOIL_RT_LOGGING_SECRET or
TOIL_RT_LOGGING_SECRET_FILE (what to sign with) and TOIL_JOB_NAME (the job,
unless a name is given). Each record is numbered in a stream of its own per
process, so a leader counts what never arrived; a record that cannot be sent
is counted here and said on stderr when the process exits.
"""
import atexit
import logging
import os
import random
import socket
import sys
import threading

from toil_rtlog import signing, wire

ADDRESS_VARIABLE = "TOIL_RT_LOGGING_ADDRESS"
LEVEL_VARIABLE = "TOIL_RT_LOGGING_LEVEL"
JOB_NAME_VARIABLE = "TOIL_JOB_NAME"

_LEVELS = {"TRACE": 5, "DEBUG": logging.DEBUG, "INFO": logging.INFO,
           "WARNING": logging.WARNING, "WARN": logging.WARNING, "ERROR": logging.ERROR,
           "CRITICAL": logging.CRITICAL, "OFF": logging.CRITICAL}


def parse_level(text):
    """The logging level TOIL_RT_LOGGING_LEVEL names (any case); ValueError if none."""
    try:
        return _LEVELS[text.strip().upper()]
    except KeyError:
        raise ValueError("%r is not a level (%s)" % (text, ", ".join(_LEVELS))) from None


def parse_address(text):
    """(host, port) from "host:port" or "[v6 address]:port"."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("%r is not host:port" % text)
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host, int(port)


def warn(text):
    """One line on stderr, for what the job's log should say."""
    try:
        sys.stderr.write("toil_rtlog: %s\n" % text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class Handler(logging.Handler):
    """Sends each record it handles as one datagram, signed when the run has
    a secret. `job`: a name, or a function returning the current one (default:
    TOIL_JOB_NAME)."""

    def __init__(self, address=None, secret=None, job=None, level=logging.NOTSET,
                 environ=None):
        super().__init__(level)
        environ = os.environ if environ is None else environ
        self._job = job if job is not None else environ.get(JOB_NAME_VARIABLE)
        self._hostname = socket.gethostname()
        self._sign = self._signer(secret, environ)
        self._socket = None
        self._target = None
        self._pid = None
        self.unsent = 0
        self._reason = None
        self._connect(address if address is not None else environ.get(ADDRESS_VARIABLE))
        atexit.register(self._say_unsent)

    @staticmethod
    def _signer(secret, environ):
        try:
            secret = secret if secret is not None else signing.secret_from_environment(environ)
            return signing.Signer(secret) if secret else None
        except (OSError, ValueError) as error:  # the secret itself is never shown
            warn("the run's secret is not usable (%s); records are sent unsigned, and a "
                 "leader that requires signatures refuses them" % error)
            return None

    def _connect(self, address):
        if not address:
            return
        try:
            host, port = parse_address(address)
            family, kind, proto, _, target = socket.getaddrinfo(
                host, port, 0, socket.SOCK_DGRAM)[0]
            self._socket = socket.socket(family, kind, proto)
            self._target = target
        except (OSError, ValueError) as error:
            warn("%s=%r is not usable (%s); records are not sent to a leader"
                 % (ADDRESS_VARIABLE, address, error))

    def _number(self):
        """(stream, seq) for the next record: a new stream in a forked child."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._stream = random.SystemRandom().randrange(1, 2 ** 64)
            self._seq = 0
        self._seq += 1
        return self._stream, self._seq

    def job_name(self):
        return self._job() if callable(self._job) else self._job

    def emit(self, record):
        if self._socket is None:
            return
        try:
            stream, seq = self._number()
            fields = wire.record_fields(record, self._hostname, self.job_name(), stream, seq)
            self._socket.sendto(wire.encode(fields, self._sign), self._target)
        except Exception as error:  # noqa: BLE001 - counted, never raised into the job
            self.unsent += 1
            self._reason = "%s: %s" % (type(error).__name__, error)

    def _say_unsent(self):
        if self.unsent:
            warn("%d records were not sent to the leader (last: %s)" % (self.unsent, self._reason))

    def close(self):
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        super().close()
