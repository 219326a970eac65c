"""Runs `toil-rtlog serve`, the C++ leader, as a child of a Python program
for the length of a run: starts it, reads the variables its jobs need from
the export lines it prints, and stops it (it then prints its report).
"""
import ctypes
import os
import selectors
import shlex
import shutil
import signal
import subprocess
import time

# serve's flags that enable() takes as options, with their value types.
SERVE_OPTIONS = {
    "level": str, "format": str, "output": str, "jsonl_file": str, "report": str,
    "report_file": str, "history_dir": str, "bind": str, "advertise": str, "port": int,
    "allow_unsigned": bool, "stream": bool, "control": str, "time": str,
    "repeat_window": str, "job_line_limit": int, "tail_keep": int,
}

BIN_VARIABLE = "TOIL_RTLOG_BIN"
_PR_SET_PDEATHSIG = 1


def find_program(program=None):
    """The toil-rtlog to run: `program`, else $TOIL_RTLOG_BIN, else PATH's."""
    path = program or os.environ.get(BIN_VARIABLE) or shutil.which("toil-rtlog")
    if not path:
        raise FileNotFoundError("toil-rtlog is not in PATH; put it there, set %s to its "
                                "path, or pass program= to enable()" % BIN_VARIABLE)
    if not os.access(path, os.X_OK):
        raise FileNotFoundError("%s (the toil-rtlog to run) is not an executable file" % path)
    return path


def check_options(options):
    """Raises TypeError, naming the option, for one serve does not take."""
    for name, value in options.items():
        kind = SERVE_OPTIONS.get(name)
        if kind is None:
            raise TypeError("toil_rtlog: unknown option %r; the options are %s"
                            % (name, ", ".join(sorted(SERVE_OPTIONS))))
        if type(value) is not kind:
            raise TypeError("toil_rtlog: option %r takes a %s, not %r"
                            % (name, kind.__name__, value))
    if options.get("output") == "-":
        raise ValueError("toil_rtlog: output='-' (stdout) is not possible here: serve's "
                         "stdout gives the variables for jobs; give a file, or leave the "
                         "default (the terminal's stderr)")


def serve_flags(options):
    """serve's command-line flags for `options`."""
    return ["--%s=%s" % (name, str(value).lower() if type(value) is bool else value)
            for name, value in sorted(options.items())]


def _dying_with_parent():
    """A function for the child, between fork and exec, that has it sent
    SIGTERM when the process that started it dies (found before the fork,
    so that the child only makes one system call)."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    return lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class LeaderProcess:
    """A running `toil-rtlog serve`; `environment` holds its export lines."""

    def __init__(self, program, flags, start_timeout=60.0):
        self._process = subprocess.Popen(
            [program, "serve"] + flags, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            preexec_fn=_dying_with_parent())
        try:
            self.environment = self._read_exports(start_timeout)
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self):
        return self._process.pid

    def _read_exports(self, timeout):
        """serve prints its export lines, then closes its stdout."""
        text = b""
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if not selector.select(deadline - time.monotonic()):
                    continue
                chunk = os.read(self._process.stdout.fileno(), 65536)
                if not chunk:
                    break
                text += chunk
            else:
                raise TimeoutError("toil-rtlog serve said nothing within %.0f s" % timeout)
        self._process.stdout.close()
        exports = dict(self._exports(text.decode("utf-8", "replace")))
        if not exports:
            status = self._process.wait(10)
            raise RuntimeError("toil-rtlog serve stopped (exit status %d) before it listened; "
                               "its error is on stderr above" % status)
        return exports

    @staticmethod
    def _exports(text):
        for line in text.splitlines():
            words = shlex.split(line)
            if len(words) == 2 and words[0] == "export" and "=" in words[1]:
                yield tuple(words[1].split("=", 1))

    def stop(self, timeout=60.0):
        """Stops serve (its report then goes to stderr); the exit status."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            return self._process.wait()
