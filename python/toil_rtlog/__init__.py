"""toil-rtlog for Python: real-time logging for Toil workflows and any
Python program.

- enable(**options): at the top of a Toil workflow script, makes Toil's
  --realTimeLogging run toil-rtlog's C++ leader, and its jobs send every
  record signed, numbered and named (toil_support.py).
- Handler: a logging.Handler that sends records to a toil-rtlog leader, or
  to Toil's Python leader, from the variables a batch system hands a job
  (handler.py).
Standard library only; Python 3.9 or newer.
"""
from toil_rtlog.handler import Handler
from toil_rtlog.toil_support import enable

__all__ = ["Handler", "enable"]
__version__ = "0.1.0"
