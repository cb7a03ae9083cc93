"""SIGTERM and SIGINT (Ctrl-C) as a request to stop, not an end: while `StopSignals` is
active they only set a flag, which the training loop reads between steps (it then saves
a checkpoint at the current step and returns; train.py exits 0).

train.py installs it as its first statement, before JAX and the flags: a signal during
start-up (imports, data loading, compilation) is then a stop request too, not an exit
with status 143 or a KeyboardInterrupt's traceback. A handler that only sets a flag
also cannot be lost: a KeyboardInterrupt raised inside a garbage-collection callback
(JAX registers some) is reported and dropped, and the run would go on.

Imports only the standard library, so that it can come first.
"""
from __future__ import annotations

import signal
import threading
from typing import Optional


class StopSignals:
  """Context manager: while active, SIGTERM and SIGINT set `.signal_name` instead of
  killing the process. The previous handlers are restored on exit.

  A second signal (the user insists, or the scheduler's grace period is short) restores
  the previous handlers and re-raises it: the default action then applies (SIGTERM
  terminates, SIGINT raises KeyboardInterrupt). Checkpoints already on disk are safe
  either way: orbax renames a checkpoint into place only once it is complete.

  Handlers can only be installed from the main thread; elsewhere this is a no-op.
  """

  SIGNALS = (signal.SIGTERM, signal.SIGINT)

  def __init__(self):
    self.signal_name: Optional[str] = None
    self._previous = {}

  @property
  def requested(self) -> bool:
    return self.signal_name is not None

  def _handle(self, signum, frame):
    del frame
    if self.signal_name is not None:  # second signal: stop waiting
      self._restore()
      signal.raise_signal(signum)
      return
    # No printing here: the main thread may be inside a print of its own.
    self.signal_name = signal.Signals(signum).name

  def _restore(self):
    for signum, handler in self._previous.items():
      signal.signal(signum, handler)
    self._previous = {}

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():
      for signum in self.SIGNALS:
        self._previous[signum] = signal.signal(signum, self._handle)
    return self

  def __exit__(self, *exc):
    self._restore()
    return False
