"""A Python job's stream to a C++ leader: its records over one TLS
connection (stream_tls.py), acknowledged, kept until then and sent again
after a reconnect, as C++ jobs send theirs (docs/reference.md, "The stream
transport").

Frames, both ways: a 4-byte big-endian length of what follows, a type byte,
an 8-byte big-endian number, a body. The job says hello (the number of the
first record to come, its stream id), sends records (the number of the
frame's last record; one JSON object per line), and at the end says so (its
last record's number); the leader acknowledges numbers.

A thread of its own sends, so that a log call only queues; it never waits
on the network for long without moving what is queued into frames. The queue holds
1 MiB; while the leader's acknowledgements lag 4 MiB behind, the thread
takes no more from it, and a log call that finds it full drops the record
(counted) or, with TOIL_RT_LOGGING_OVERFLOW=wait[:DURATION], waits for room
up to a bound.
"""
import collections
import errno
import os
import select
import socket
import struct
import threading
import time

from toil_rtlog.stream_tls import PskContext, TlsConnection, TlsError

RECORDS, ACK, END, HELLO = 1, 2, 3, 4
MAX_BODY = 65507
QUEUE_BYTES = 1 << 20
KEEP_BYTES = 4 << 20
STALL_SECONDS = 10.0
CONNECT_SECONDS = 5.0
# A stream not answered this long from the start falls back to datagrams (one
# refused at once, by no listener or by another run's leader, at once).
FALLBACK_SECONDS = 10.0
FIRST_RETRY, LAST_RETRY = 0.05, 2.0


def frame(kind, number, body=b""):
    return struct.pack(">IBQ", 1 + 8 + len(body), kind, number) + body


def read_frames(buffer):
    """(frames as (type, number, body), the bytes left over) of `buffer`."""
    frames, at = [], 0
    while len(buffer) - at >= 13:
        length, kind, number = struct.unpack_from(">IBQ", buffer, at)
        if length < 9 or length > MAX_BODY + 9:
            raise ConnectionError("the leader sent a frame of %d bytes" % length)
        if len(buffer) - at < 4 + length:
            break
        frames.append((kind, number, buffer[at + 13:at + 4 + length]))
        at += 4 + length
    return frames, buffer[at:]


class StreamSender:
    """Sends one process's numbered records to `address` (host, port)."""

    def __init__(self, address, secret_hex, key_id, stream_id, overflow_wait=0.0):
        self.address = address
        self._tls = PskContext(secret_hex, key_id)
        self._stream_id = stream_id
        self._overflow_wait = overflow_wait
        self._lock = threading.Condition()
        self._queue = collections.deque()  # (seq, line)
        self._queued_bytes = 0
        # (first seq, last seq, frame, its records) not acknowledged
        self._kept = collections.deque()
        self._kept_bytes = 0
        self._last_seq = 0
        self._connection = None
        self._unsent = bytearray()  # of the current connection: what is still to write
        self._reading = b""  # of the current connection: bytes not yet a frame
        self._acked_at = time.monotonic()
        self._ending = False
        self.ended = threading.Event()
        self.dropped = 0
        self.ever_connected = False
        self.failure = None  # why the stream could not start (then: datagrams)
        self._born = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="toil_rtlog stream", daemon=True)
        self._thread.start()

    # ---- the logging threads' side ----

    def put(self, seq, line):
        """Queues record `seq` (one JSON object); False when it was dropped."""
        with self._lock:
            deadline = time.monotonic() + self._overflow_wait
            while self._queued_bytes + len(line) > QUEUE_BYTES and not self._ending:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.dropped += 1
                    return False
                self._lock.wait(left)
            self._queue.append((seq, line))
            self._queued_bytes += len(line)
            self._lock.notify_all()
            return True

    def finish(self, timeout):
        """Sends what is queued, waits for its acknowledgement, says the end;
        gives up after `timeout` s. The records never acknowledged."""
        with self._lock:
            self._ending = True
            self._lock.notify_all()
        self.ended.wait(timeout)
        with self._lock:
            return len(self._queue) + sum(last - first + 1 for first, last, _, _ in self._kept)

    def take_back(self):
        """What was never acknowledged (the stream could not start), as lines."""
        with self._lock:
            lines = [line for _, _, _, framed in self._kept for line in framed]
            lines += [line for _, line in self._queue]
            self._kept.clear()
            self._kept_bytes = 0
            self._queue.clear()
            self._queued_bytes = 0
            self._lock.notify_all()
            return lines

    # ---- the sender thread ----

    def _run(self):
        retry, next_try, failures = FIRST_RETRY, 0.0, 0
        while not self.ended.is_set():
            self._frame_queued()
            if self._connection is None and time.monotonic() >= next_try:
                if self._connect():
                    retry, failures = FIRST_RETRY, 0
                else:
                    failures += 1
                    if not self.ever_connected and self.failure:
                        self.ended.set()  # the Handler sends datagrams instead
                        return
                    next_try, retry = time.monotonic() + retry, min(retry * 2, LAST_RETRY)
            if self._connection is not None:
                self._pump()
            if self._ending and self._done(failures):
                self._close()
                self.ended.set()
                return
            with self._lock:
                if not self._queue or self._kept_bytes >= KEEP_BYTES:
                    self._lock.wait(0.02)

    def _frame_queued(self):
        """Moves queued records into kept frames (while fewer than 4 MiB are kept)."""
        with self._lock:
            while self._queue and self._kept_bytes < KEEP_BYTES:
                lines, first, size = [], self._queue[0][0], 0
                while self._queue and size + len(self._queue[0][1]) + 1 <= MAX_BODY:
                    seq, line = self._queue.popleft()
                    lines.append(line)
                    size += len(line) + 1
                    self._queued_bytes -= len(line)
                    self._last_seq = seq
                data = frame(RECORDS, self._last_seq, b"\n".join(lines))
                if not self._kept:  # the wait for an acknowledgement starts now
                    self._acked_at = time.monotonic()
                self._kept.append((first, self._last_seq, data, lines))
                self._kept_bytes += len(data)
                self._unsent += data
            self._lock.notify_all()

    def _connect(self):
        """Connects, says hello and queues every kept frame again."""
        sock = None
        try:
            deadline = time.monotonic() + CONNECT_SECONDS
            sock = self._connect_tcp(deadline)
            self._connection = TlsConnection(sock, self._tls, deadline, idle=self._frame_queued)
        except TlsError as error:
            self.failure = str(error)
            return False
        except OSError as error:
            if sock is not None:
                sock.close()
            if self.ever_connected:
                return False
            if error.errno == errno.ECONNREFUSED:
                self.failure = "cannot connect: %s" % error.strerror
            elif time.monotonic() - self._born >= FALLBACK_SECONDS:
                self.failure = "not answered for %.0f s (%s)" % (FALLBACK_SECONDS, error)
            return False
        self.ever_connected, self.failure = True, None
        self._acked_at = time.monotonic()
        with self._lock:
            first = self._kept[0][0] if self._kept else self._last_seq + 1
            self._unsent = bytearray(frame(HELLO, first, struct.pack(">Q", self._stream_id)))
            for _, _, data, _ in self._kept:
                self._unsent += data
        self._reading = b""
        return True

    def _connect_tcp(self, deadline):
        """A connected non-blocking socket; frames what is queued meanwhile."""
        family, kind, proto, _, target = socket.getaddrinfo(*self.address, 0,
                                                             socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            result = sock.connect_ex(target)
            while result == errno.EINPROGRESS:
                if time.monotonic() > deadline:
                    raise OSError(errno.ETIMEDOUT, os.strerror(errno.ETIMEDOUT))
                if select.select([], [sock], [], 0.05)[1]:
                    result = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                self._frame_queued()
            if result != 0:
                raise OSError(result, os.strerror(result))
            return sock
        except BaseException:
            sock.close()
            raise

    def _pump(self):
        """Writes what is to write, reads acknowledgements; on a break or a
        stall, drops the connection (it is made again)."""
        try:
            if self._unsent:
                sent = self._connection.write_some(bytes(self._unsent[:1 << 20]))
                del self._unsent[:sent]
            frames, self._reading = read_frames(self._reading + self._connection.read_available())
            for kind, number, _ in frames:
                if kind != ACK:
                    raise ConnectionError("the leader sent a frame of type %d" % kind)
                self._acknowledged(number)
            if self._kept and time.monotonic() - self._acked_at > STALL_SECONDS:
                raise ConnectionError("no acknowledgement for %.0f s" % STALL_SECONDS)
        except ConnectionError:
            self._close()

    def _acknowledged(self, number):
        with self._lock:
            while self._kept and self._kept[0][1] <= number:
                self._kept_bytes -= len(self._kept.popleft()[2])
            self._acked_at = time.monotonic()
            self._lock.notify_all()

    def _done(self, failures):
        """At the end: everything acknowledged (then the end is said and
        acknowledged), or the leader given up."""
        with self._lock:
            if self._queue or self._kept:
                away = self._connection is None and failures >= 2
                silent = time.monotonic() - self._acked_at
                return (away and silent > 5.0) or silent > 15.0
        if self._connection is None:
            return True
        try:
            self._connection.write(frame(END, self._last_seq, struct.pack(">Q", self._stream_id)),
                                   time.monotonic() + CONNECT_SECONDS)
            deadline = time.monotonic() + CONNECT_SECONDS
            while time.monotonic() < deadline:
                frames, self._reading = read_frames(
                    self._reading + self._connection.read_available())
                if any(kind == ACK and number == self._last_seq for kind, number, _ in frames):
                    break
                time.sleep(0.005)
        except ConnectionError:
            pass
        return True

    def _close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None
