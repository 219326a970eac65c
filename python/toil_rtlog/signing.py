"""Signing datagrams with a run's secret, as toil-rtlog's leaders check them.

The secret is 32 bytes, handed to jobs as 64 hex digits (in
TOIL_RT_LOGGING_SECRET, or in the file TOIL_RT_LOGGING_SECRET_FILE names).
A signed datagram is the record's JSON object with one more key, last:
`"hmac":"<key id>.<mac>"`, where the MAC is HMAC-SHA256 over every byte
before `,"hmac":"` and the key id is the first 8 bytes of
SHA-256("toil-rtlog key id" + secret), both in lowercase hex
(docs/reference.md, "Authentication").
"""
import hashlib
import hmac
import os
import stat

SECRET_VARIABLE = "TOIL_RT_LOGGING_SECRET"
SECRET_FILE_VARIABLE = "TOIL_RT_LOGGING_SECRET_FILE"


class Signer:
    """Signs datagrams with one secret (given as 64 hex digits)."""

    def __init__(self, secret_hex):
        secret_hex = secret_hex.strip()
        if len(secret_hex) != 64:
            raise ValueError("a secret is 64 hex digits, not %d characters" % len(secret_hex))
        try:
            self._secret = bytes.fromhex(secret_hex)
        except ValueError:
            raise ValueError("a secret is 64 hex digits; this one has other characters") from None
        self.key_id = hashlib.sha256(b"toil-rtlog key id" + self._secret).hexdigest()[:16]
        self._keyed = hmac.new(self._secret, digestmod=hashlib.sha256)  # copied per datagram

    def __call__(self, datagram):
        """`datagram` (one JSON object, as bytes) with its signature added."""
        if not datagram.endswith(b"}"):
            raise ValueError("only a JSON object can be signed")
        head = datagram[:-1]
        mac = self._keyed.copy()
        mac.update(head)
        return b'%s,"hmac":"%s.%s"}' % (head, self.key_id.encode(), mac.hexdigest().encode())


def read_secret_file(path):
    """The secret's hex digits kept in `path`. Raises OSError or ValueError,
    saying what is wrong, when it cannot be read or others may read it."""
    with open(path, "rb") as f:
        mode = os.fstat(f.fileno()).st_mode
        text = f.read(256).decode("ascii", "replace").strip()
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ValueError("%s may be read by others (mode %o); a run's secret file is "
                         "its owner's alone (mode 600)" % (path, stat.S_IMODE(mode)))
    return text


def secret_from_environment(environ):
    """The run's secret (hex) from `environ`: TOIL_RT_LOGGING_SECRET, else the
    file TOIL_RT_LOGGING_SECRET_FILE names; None when neither is set."""
    if environ.get(SECRET_VARIABLE):
        return environ[SECRET_VARIABLE]
    path = environ.get(SECRET_FILE_VARIABLE)
    if path:
        return read_secret_file(path)
    return None
