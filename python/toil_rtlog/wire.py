"""The wire form of a Python logging record, as toil-rtlog's leaders read it.

One JSON object per datagram: the record's attributes under Python's own
names (docs/reference.md, "Wire format"), plus `hostname`, `job`, and the
`stream`/`seq` numbering that lets a leader count loss. Unlike
`json.dumps(record.__dict__)`, encoding never fails: a message whose
arguments JSON cannot carry faithfully is formatted here, a message that
cannot be formatted is sent with its arguments shown, and an exception's
traceback always travels as `exc_text`.
"""
import json
import logging

# The attributes sent, under their Python names.
RECORD_KEYS = (
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename",
    "module", "lineno", "funcName", "created", "msecs", "relativeCreated",
    "process", "processName", "thread", "threadName", "exc_text", "stack_info",
)

# The largest UDP payload over IPv4.
MAX_DATAGRAM_BYTES = 65507
# The largest unsigned record that still fits a datagram once signed (the
# signature adds ,"hmac":"<16>.<64>"): a stream's record, which may have to
# go as a datagram after all.
SIGNED_LINE_BYTES = MAX_DATAGRAM_BYTES - len(',"hmac":"') - 16 - 1 - 64 - 1

# Argument types that survive JSON unchanged, so a leader formats them as
# the job would have.
_PLAIN_TYPES = (str, int, float, bool, type(None))

_traceback_formatter = logging.Formatter()


def _plain(value):
    return type(value) in _PLAIN_TYPES


def _carried_as_is(record):
    """Whether msg and args can go as they are (a leader formats them)."""
    if type(record.msg) is not str:
        return False
    args = record.args
    if not args:
        return True
    if isinstance(args, dict):
        return all(type(k) is str and _plain(v) for k, v in args.items())
    return isinstance(args, tuple) and all(_plain(a) for a in args)


def message_and_args(record):
    """(msg, args) to send: as they are, or the message formatted here."""
    if _carried_as_is(record):
        try:
            record.getMessage()  # a leader formats it; it must be able to
            return record.msg, (list(record.args) if isinstance(record.args, tuple)
                                else record.args) or None
        except Exception:  # noqa: BLE001 - any formatting error is shown
            pass
    try:
        return record.getMessage(), None
    except Exception as error:  # noqa: BLE001
        return ("%s [arguments not formatted: %s: %s; arguments: %r]"
                % (record.msg, type(error).__name__, error, record.args), None)


def exception_text(record):
    """The traceback of a record's exception, if it has one."""
    if record.exc_text:
        return record.exc_text
    if record.exc_info:
        return _traceback_formatter.formatException(record.exc_info)
    return None


def record_fields(record, hostname, job, stream, seq):
    """The JSON object for `record` (a dict), numbered `seq` in `stream`."""
    fields = {key: getattr(record, key, None) for key in RECORD_KEYS}
    fields["msg"], fields["args"] = message_and_args(record)
    fields["exc_text"] = exception_text(record)
    if fields["stack_info"] is not None:
        fields["stack_info"] = str(fields["stack_info"])
    fields["hostname"] = hostname
    if job:
        fields["job"] = job
    fields["stream"] = stream
    fields["seq"] = seq
    return fields


def encode(fields, sign=None, limit=MAX_DATAGRAM_BYTES):
    """The datagram for `fields`: compact JSON, signed by `sign` (a function
    from the bytes before the signature to the signed datagram) when given,
    its longest texts cut and marked until it fits in `limit` bytes."""
    for _ in range(8):
        data = _json(fields)
        if sign is not None:
            data = sign(data)
        if len(data) <= limit:
            return data
        fields = _cut_longest_text(fields, len(data) - limit)
    raise ValueError("a record that cannot be cut to fit a datagram")


def _json(value):
    """Compact JSON in UTF-8; a lone surrogate becomes a \\u escape."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.encode("utf-8", "backslashreplace")


def _cut_longest_text(fields, excess):
    """A copy of `fields` shorter by at least `excess` bytes of JSON: its
    arguments formatted into the message first, then its longest text cut
    and marked."""
    cut = dict(fields)
    if fields.get("args"):
        args = fields["args"]
        cut["msg"] = fields["msg"] % (tuple(args) if isinstance(args, list) else args)
        cut["args"] = None
        return cut
    texts = [k for k in ("msg", "exc_text", "stack_info") if isinstance(fields.get(k), str)]
    key = max(texts, key=lambda k: len(fields[k].encode("utf-8")))
    raw = fields[key].encode("utf-8", "backslashreplace")
    # Cut in proportion to how the text grows in JSON, with room for the marker.
    json_bytes = len(_json(fields[key]))
    keep = max(0, len(raw) * (json_bytes - excess - 64) // json_bytes)
    shown = raw[:keep].decode("utf-8", "ignore")
    cut[key] = "%s [cut: %d bytes, %d shown]" % (shown, len(raw), len(shown.encode("utf-8")))
    return cut
