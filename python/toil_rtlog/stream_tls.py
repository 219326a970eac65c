"""TLS 1.3 keyed by the run's secret, for a Python job's stream connection.

Python's ssl module takes no pre-shared keys before Python 3.13, so this
calls the system's OpenSSL 3 (libssl.so.3, the library the ssl module itself
is built on) through ctypes. The key and its name are the C++ side's
(docs/reference.md, "The stream transport"): HMAC-SHA256(secret,
"toil-rtlog stream psk"), offered under the secret's key id, with
TLS_AES_128_GCM_SHA256 and no certificates. A leader of another run cannot
complete the handshake, so no one else can acknowledge a job's records.

The socket is non-blocking: write_some() and read_available() never wait;
the handshake and write() wait for it with select() until their deadline,
calling `idle` every 50 ms meanwhile (the sender frames what is queued).
"""
import ctypes
import ctypes.util
import hashlib
import hmac
import select
import ssl  # noqa: F401 - loads the same libssl the ssl module uses
import time

_TLS1_3_VERSION = 0x0304
_CTRL_MODE = 33
_CTRL_SET_SESS_CACHE_MODE = 44
_CTRL_SET_MIN_PROTO_VERSION = 123
_MODE_PARTIAL_WRITE_MOVING_BUFFER = 0x1 | 0x2
_OP_IGNORE_UNEXPECTED_EOF = 1 << 7
_ERROR_SSL, _WANT_READ, _WANT_WRITE = 1, 2, 3
_SUITE = b"\x13\x01"  # TLS_AES_128_GCM_SHA256
_LABEL = b"toil-rtlog stream psk"

_P = ctypes.c_void_p
_USE_SESSION = ctypes.CFUNCTYPE(ctypes.c_int, _P, _P, ctypes.POINTER(_P),
                                ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(_P))
_SIGNATURES = {  # name: (result, argument types)
    "TLS_client_method": (_P, []), "SSL_CTX_new": (_P, [_P]), "SSL_CTX_free": (None, [_P]),
    "SSL_CTX_ctrl": (ctypes.c_long, [_P, ctypes.c_int, ctypes.c_long, _P]),
    "SSL_CTX_set_ciphersuites": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "SSL_CTX_set_options": (ctypes.c_uint64, [_P, ctypes.c_uint64]),
    "SSL_CTX_set_num_tickets": (ctypes.c_int, [_P, ctypes.c_size_t]),
    "SSL_CTX_set_psk_use_session_callback": (None, [_P, _USE_SESSION]),
    "SSL_new": (_P, [_P]), "SSL_free": (None, [_P]),
    "SSL_set_fd": (ctypes.c_int, [_P, ctypes.c_int]), "SSL_connect": (ctypes.c_int, [_P]),
    "SSL_read": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_int]),
    "SSL_write": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_int]),
    "SSL_get_error": (ctypes.c_int, [_P, ctypes.c_int]), "SSL_shutdown": (ctypes.c_int, [_P]),
    "SSL_CIPHER_find": (_P, [_P, ctypes.c_char_p]), "SSL_SESSION_new": (_P, []),
    "SSL_SESSION_free": (None, [_P]),
    "SSL_SESSION_set1_master_key": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_size_t]),
    "SSL_SESSION_set_cipher": (ctypes.c_int, [_P, _P]),
    "SSL_SESSION_set_protocol_version": (ctypes.c_int, [_P, ctypes.c_int]),
    "SSL_SESSION_get0_cipher": (_P, [_P]), "SSL_CIPHER_get_handshake_digest": (_P, [_P]),
}
_lib = None


def _openssl():
    """libssl and libcrypto's error functions, loaded and typed once."""
    global _lib
    if _lib is None:
        libssl = ctypes.CDLL(ctypes.util.find_library("ssl") or "libssl.so.3")
        libcrypto = ctypes.CDLL(ctypes.util.find_library("crypto") or "libcrypto.so.3")
        for name, (result, arguments) in _SIGNATURES.items():
            function = getattr(libssl, name)
            function.restype, function.argtypes = result, arguments
        libcrypto.ERR_get_error.restype = ctypes.c_ulong
        libcrypto.ERR_error_string_n.argtypes = [ctypes.c_ulong, ctypes.c_char_p, ctypes.c_size_t]
        libssl.errors = libcrypto
        _lib = libssl
    return _lib


def _errors():
    """OpenSSL's queued errors, as text (and the queue emptied)."""
    lib, texts = _openssl(), []
    while True:
        code = lib.errors.ERR_get_error()
        if not code:
            return "; ".join(texts) or "no detail"
        buffer = ctypes.create_string_buffer(256)
        lib.errors.ERR_error_string_n(code, buffer, 256)
        texts.append(buffer.value.decode("ascii", "replace"))


class TlsError(ConnectionError):
    """The handshake failed: the peer is not this run's leader."""


class PskContext:
    """The client side's TLS settings for one secret (64 hex digits)."""

    def __init__(self, secret_hex, key_id):
        lib = _openssl()
        secret = bytes.fromhex(secret_hex)
        self._key = hmac.new(secret, _LABEL, hashlib.sha256).digest()
        self._identity = ctypes.create_string_buffer(key_id.encode("ascii"), len(key_id))
        self._callback = _USE_SESSION(self._use_key)  # kept alive with the context
        self.handle = lib.SSL_CTX_new(lib.TLS_client_method())
        if not self.handle:
            raise OSError("cannot set up TLS for the stream: " + _errors())
        if (lib.SSL_CTX_ctrl(self.handle, _CTRL_SET_MIN_PROTO_VERSION, _TLS1_3_VERSION, None) != 1
                or lib.SSL_CTX_set_ciphersuites(self.handle, b"TLS_AES_128_GCM_SHA256") != 1):
            raise OSError("cannot set up TLS 1.3 for the stream: " + _errors())
        lib.SSL_CTX_ctrl(self.handle, _CTRL_MODE, _MODE_PARTIAL_WRITE_MOVING_BUFFER, None)
        lib.SSL_CTX_ctrl(self.handle, _CTRL_SET_SESS_CACHE_MODE, 0, None)
        lib.SSL_CTX_set_options(self.handle, _OP_IGNORE_UNEXPECTED_EOF)
        lib.SSL_CTX_set_num_tickets(self.handle, 0)
        lib.SSL_CTX_set_psk_use_session_callback(self.handle, self._callback)

    def _session(self, connection):
        """A session that carries the key, for the suite it is made for."""
        lib = _openssl()
        cipher = lib.SSL_CIPHER_find(connection, _SUITE)
        session = lib.SSL_SESSION_new() if cipher else None
        if session and (lib.SSL_SESSION_set1_master_key(session, self._key, len(self._key)) != 1
                        or lib.SSL_SESSION_set_cipher(session, cipher) != 1
                        or lib.SSL_SESSION_set_protocol_version(session, _TLS1_3_VERSION) != 1):
            lib.SSL_SESSION_free(session)
            session = None
        return session

    def _use_key(self, connection, digest, identity, length, session):
        """OpenSSL asks which key to offer (its callback: must not raise)."""
        try:
            lib = _openssl()
            made = self._session(connection)
            if made and digest and digest != lib.SSL_CIPHER_get_handshake_digest(
                    lib.SSL_SESSION_get0_cipher(made)):
                lib.SSL_SESSION_free(made)
                made = None
            identity[0] = ctypes.cast(self._identity, _P)
            length[0] = len(self._identity)
            session[0] = made
            return 1
        except Exception:  # noqa: BLE001 - a failed handshake says so
            return 0

    def __del__(self):
        if getattr(self, "handle", None):
            _openssl().SSL_CTX_free(self.handle)
            self.handle = None


class TlsConnection:
    """TLS over a connected, non-blocking socket; raises ConnectionError (or
    TlsError for a refused handshake) when it breaks or a deadline passes."""

    def __init__(self, sock, context, deadline, idle=None):
        lib = _openssl()
        self._sock, self._context, self._idle = sock, context, idle
        self._ssl = lib.SSL_new(context.handle)
        if not self._ssl or lib.SSL_set_fd(self._ssl, sock.fileno()) != 1:
            self.close()
            raise OSError("cannot set up a TLS connection: " + _errors())
        try:
            self._call(lambda: lib.SSL_connect(self._ssl), deadline, handshake=True)
        except BaseException:
            self.close()
            raise

    def _call(self, operation, deadline, handshake=False):
        """Runs an SSL call until it does something, waiting for the socket."""
        lib = _openssl()
        while True:
            result = operation()
            if result > 0:
                return result
            error = lib.SSL_get_error(self._ssl, result)
            if error not in (_WANT_READ, _WANT_WRITE):
                detail = _errors()
                if handshake and error == _ERROR_SSL:
                    raise TlsError("the TLS handshake failed (is it this run's leader?): " + detail)
                raise ConnectionError("the connection broke (%d: %s)" % (error, detail))
            left = deadline - time.monotonic()
            if left <= 0:
                raise ConnectionError("timed out")
            want = ([self._sock], [], []) if error == _WANT_READ else ([], [self._sock], [])
            select.select(*want, min(left, 0.05))
            if self._idle is not None:
                self._idle()

    def write(self, data, deadline):
        """Writes all of `data`."""
        lib, sent = _openssl(), 0
        while sent < len(data):
            chunk = data[sent:sent + (1 << 20)]
            sent += self._call(lambda: lib.SSL_write(self._ssl, chunk, len(chunk)), deadline)

    def write_some(self, data):
        """Writes what the socket takes now of `data`; how many bytes."""
        lib, sent = _openssl(), 0
        while sent < len(data):
            chunk = data[sent:sent + (1 << 20)]
            n = lib.SSL_write(self._ssl, chunk, len(chunk))
            if n > 0:
                sent += n
                continue
            if lib.SSL_get_error(self._ssl, n) in (_WANT_READ, _WANT_WRITE):
                break
            raise ConnectionError("the connection broke (%s)" % _errors())
        return sent

    def read_available(self):
        """What has arrived, without waiting (b"" when nothing has)."""
        lib, buffer, received = _openssl(), ctypes.create_string_buffer(16384), b""
        while True:
            n = lib.SSL_read(self._ssl, buffer, len(buffer))
            if n > 0:
                received += buffer.raw[:n]
                continue
            error = lib.SSL_get_error(self._ssl, n)
            if error in (_WANT_READ, _WANT_WRITE):
                return received
            raise ConnectionError("the leader closed the connection (%s)" % _errors())

    def close(self):
        if self._ssl:
            _openssl().SSL_free(self._ssl)
            self._ssl = None
        self._sock.close()
