"""A logging.Handler that sends records to a toil-rtlog leader (or to Toil's
own Python leader), as the job side of real-time logging.

It reads the run's variables from the environment its batch system handed
the job: TOIL_RT_LOGGING_ADDRESS (where to send), TOIL_RT_LOGGING_SECRET or
TOIL_RT_LOGGING_SECRET_FILE (what to sign with), TOIL_RT_LOGGING_STREAM
(where a C++ leader takes stream connections), TOIL_RT_LOGGING_OVERFLOW and
TOIL_JOB_NAME (the job, unless a name is given). With a stream and a secret,
records go over the acknowledged stream (stream.py), and at exit the job
waits (up to 30 s) for their acknowledgement; a stream that cannot start
falls back to signed datagrams, with one warning. Each record is numbered in
a stream of its own per process, so a leader counts what never arrived; what
could not be sent is counted here and said on stderr when the process exits.
"""
import atexit
import logging
import os
import random
import re
import socket
import sys
import threading

# Imported now: a job's working directory may change before its first record
# (Toil's workers move to their own), and PYTHONPATH may be relative.
from toil_rtlog import signing, stream, wire

ADDRESS_VARIABLE = "TOIL_RT_LOGGING_ADDRESS"
LEVEL_VARIABLE = "TOIL_RT_LOGGING_LEVEL"
STREAM_VARIABLE = "TOIL_RT_LOGGING_STREAM"
OVERFLOW_VARIABLE = "TOIL_RT_LOGGING_OVERFLOW"
JOB_NAME_VARIABLE = "TOIL_JOB_NAME"
# How long a job waits at exit for the leader to acknowledge its records.
END_SECONDS = 30.0

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


def parse_overflow(text):
    """Seconds a log call may wait for room: "drop" 0, "wait" 5,
    "wait:DURATION" (500ms, 30s, 2m)."""
    if text in (None, "drop"):
        return 0.0
    if text == "wait":
        return 5.0
    match = re.fullmatch(r"wait:(\d+(?:\.\d+)?)(ms|s|m)", text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError("%r is not \"drop\", \"wait\" or \"wait:DURATION\" (such as wait:30s)"
                         % text)
    return float(match.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[match.group(2)]


def warn(text):
    """One line on stderr, for what the job's log should say."""
    try:
        sys.stderr.write("toil_rtlog: %s\n" % text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class Handler(logging.Handler):
    """Sends each record it handles to the leader: over the stream when the
    leader takes one and the run has a secret, else as one datagram (signed
    when the run has a secret). `job`: a name, or a function returning the
    current one (default: TOIL_JOB_NAME)."""

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
        self._stream_address = self._stream_target(environ) if self._socket else None
        self._overflow = self._overflow_wait(environ)
        self._sender = None
        atexit.register(self.close)

    def _signer(self, secret, environ):
        self._secret = None
        try:
            secret = secret if secret is not None else signing.secret_from_environment(environ)
            self._secret = secret
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

    def _stream_target(self, environ):
        """(host, port) of the leader's stream; None: datagrams."""
        text = environ.get(STREAM_VARIABLE)
        if not text or self._sign is None:
            return None
        try:
            return parse_address(text)
        except ValueError as error:
            warn("%s=%r is not usable (%s); records are sent as datagrams"
                 % (STREAM_VARIABLE, text, error))
            return None

    @staticmethod
    def _overflow_wait(environ):
        try:
            return parse_overflow(environ.get(OVERFLOW_VARIABLE))
        except ValueError as error:
            warn("%s: %s; a full queue drops records (counted)" % (OVERFLOW_VARIABLE, error))
            return 0.0

    def _stream_sender(self, stream_id):
        """This process's stream (made again in a forked child); None when
        records go as datagrams."""
        if self._stream_address is None:
            return None
        sender = self._sender
        if sender is None or sender.pid != os.getpid():
            try:
                sender = stream.StreamSender(self._stream_address, self._secret,
                                             self._sign.key_id, stream_id, self._overflow)
            except (OSError, AttributeError) as error:  # no usable OpenSSL 3
                self._fall_back(None, str(error))
                return None
            sender.pid = os.getpid()
            self._sender = sender
        if sender.ended.is_set() and not sender.ever_connected:
            self._fall_back(sender, sender.failure)
            return None
        return sender

    def _fall_back(self, sender, why):
        """Datagrams from now on, with what the stream never sent."""
        host, port = sender.address if sender is not None else self._stream_address
        warn("%s: the stream to %s:%d could not start (%s); records are sent as datagrams"
             % (STREAM_VARIABLE, host, port, why))
        self._stream_address = None
        self._sender = None
        for line in sender.take_back() if sender is not None else []:
            self._send_datagram(line)

    def _send_datagram(self, line):
        """Sends one record's JSON (unsigned) as a signed datagram."""
        try:
            self._socket.sendto(self._sign(line) if self._sign else line, self._target)
        except OSError as error:
            self.unsent += 1
            self._reason = "%s: %s" % (type(error).__name__, error)

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
            sender = self._stream_sender(stream)
            if sender is None:
                self._socket.sendto(wire.encode(fields, self._sign), self._target)
            elif not sender.put(seq, wire.encode(fields, limit=wire.SIGNED_LINE_BYTES)):
                self.unsent += 1
                self._reason = "the queue was full (TOIL_RT_LOGGING_OVERFLOW=wait waits)"
        except Exception as error:  # noqa: BLE001 - counted, never raised into the job
            self.unsent += 1
            self._reason = "%s: %s" % (type(error).__name__, error)

    def close(self):
        """Waits (up to 30 s) for the leader to acknowledge what the stream
        sent, then says what was not sent or never acknowledged. A record
        logged after this (another exit handler's) goes as a datagram."""
        sender, self._sender = self._sender, None
        self._stream_address = None
        if sender is not None and sender.pid == os.getpid():
            unacknowledged = sender.finish(END_SECONDS)
            if not sender.ever_connected:  # what it kept goes as datagrams
                self._fall_back(sender, sender.failure or "no answer before the job ended")
            elif unacknowledged:
                warn("%d records were never acknowledged by the leader" % unacknowledged)
        if self.unsent:
            warn("%d records were not sent to the leader (last: %s)" % (self.unsent, self._reason))
            self.unsent = 0
        super().close()
