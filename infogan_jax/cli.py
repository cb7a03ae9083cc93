"""How train.py and eval.py begin and end: flags parsed, the work run, and every problem a
user can act on ended as one line on stderr with its exit status (errors.py).

    app.run(main, flags_parser=cli.flags_parser('train.py'))
    ...
    cli.run('train.py', workdir, lambda: loop.train(...))

Flag and config-file problems (an unknown flag or config field, a value of the wrong type,
a config file that is missing or does not load) exit 2 with one line instead of absl's
usage text or a traceback. Out-of-memory, a full disk and an unwritable folder become
errors.ResourceError (exit 1). Tracebacks that would bury that line (orbax's background
threads after a failed save, the error's own chain) go to <workdir>/errors.log.

Imports nothing heavy: JAX starts only after the flags are parsed, keeping --help fast.
"""
from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
import traceback
from typing import Callable, Optional

from absl import flags

from infogan_jax import errors


def fail(program: str, message: str, status: int = 2) -> None:
  print(f'{program}: error: {message}', file=sys.stderr, flush=True)
  sys.exit(status)


def flags_parser(program: str) -> Callable:
  """A flags_parser for absl's app.run: the flags and the config file, or one line and
  exit 2."""

  def parse(argv):
    try:
      rest = flags.FLAGS(argv)
      if 'config' in flags.FLAGS and flags.FLAGS.config is not None:
        # A config file that failed to load is kept as a placeholder that raises on first
        # use: use it here, inside the try.
        getattr(flags.FLAGS.config, 'keys', None)
    except flags.Error as e:
      if 'Traceback (most recent call last)' in str(e):   # config_flags: the file's failure
        fail(program, _config_file_problem(argv, str(e).strip().splitlines()[-1]))
      fail(program, f'{str(e).rstrip(".")}. `python {program} --helpshort` lists the flags.')
    except Exception as e:   # the config file, or an override naming no field
      fail(program, _config_problem(argv, e))
    if len(rest) > 1:
      fail(program, f'unexpected arguments {rest[1:]}: flags are written --name=value')
    return rest
  return parse


def _config_problem(argv, e: BaseException) -> str:
  text = str(e).strip()
  if text[:1] in '\'"' and text[-1:] == text[:1]:   # ConfigDict's repr of its message
    text = text[1:-1].replace('\\n', ' ').replace("\\'", "'")
  text = ' '.join(text.split())
  overrides = [a.split('=')[0] for a in argv[1:] if a.startswith('--config.')]
  missing = re.match(r"'?([\w-]+)'?", text)
  if isinstance(e, (AttributeError, KeyError)) and missing and any(
      missing.group(1) in o.split('.') for o in overrides):
    flag = next(o for o in overrides if missing.group(1) in o.split('.'))
    hint = text[len(missing.group(0)):].strip()
    return f'{flag}: the config has no field {missing.group(1)!r}. {hint}'.strip()
  if 'No such file' in text:
    return (f'the config file {_config_path(argv)} does not exist (configs/ holds the '
            'shipped ones).')
  first = text.split(' Attempted ')[0] if 'Attempted' in text else text
  return _config_file_problem(argv, f'{type(e).__name__}: {first}')


def _config_path(argv) -> str:
  return next((a.split('=', 1)[1] for a in argv[1:] if a.startswith('--config=')),
              '(--config)')


def _config_file_problem(argv, reason: str) -> str:
  """One line: the config file (--config=path[:arguments]) did not give a config."""
  path = _config_path(argv)
  arguments = (" (what follows ':' is passed to get_config)"
               if ':' in os.path.basename(path) else '')
  return (f'the config file {path} cannot be loaded: {" ".join(reason.split())[:300]}. It '
          'must be a Python file with get_config() returning an ml_collections.ConfigDict '
          f'(see configs/){arguments}.')


class _ThreadErrors(logging.Filter):
  """Sends orbax's error records (with their tracebacks) to the error log."""

  def __init__(self, log: 'ErrorLog'):
    super().__init__()
    self.log = log

  def filter(self, record):
    if record.levelno >= logging.ERROR and f'{os.sep}orbax{os.sep}' in record.pathname:
      text = record.getMessage()
      if record.exc_info:
        text += '\n' + ''.join(traceback.format_exception(*record.exc_info))
      return not self.log.write(text)
    return True


class ErrorLog:
  """<workdir>/errors.log, written only when something goes wrong: tracebacks from other
  threads (orbax after a failed save) land here instead of on the console."""

  def __init__(self, path: Optional[str]):
    self.path, self.used = path, False

  def write(self, text: str) -> bool:
    """Appends `text`. True if that is taken care of: written, or dropped because the log
    of a run cannot be written (a really full disk: the one-line error that ends the run
    says what to fix, and a console of tracebacks would bury it; errors.log a link).
    False if there is no log or its folder holds no run: the caller prints `text`."""
    if self.path is None or not _is_run(os.path.dirname(self.path) or '.'):
      return False
    from infogan_jax.training import workdir as workdir_lib
    try:
      with open(self.path, 'a', opener=workdir_lib.open_no_link) as f:
        f.write(f'--- {time.strftime("%Y-%m-%d %H:%M:%S")} ({threading.current_thread().name})'
                f'\n{text.rstrip()}\n')
    except (OSError, errors.WorkdirError):   # (never written through a link)
      return True
    self.used = True
    return True

  def install(self):
    """Routes other threads' uncaught exceptions, exceptions that cannot be raised (after
    a failed save, tensorstore's callbacks find orbax's event loops closed, dozens of
    times) and orbax's error records here."""
    previous_hook, previous_thread_hook = sys.excepthook, threading.excepthook
    previous_unraisable = sys.unraisablehook

    def excepthook(kind, value, tb):   # also how C callbacks (tensorstore) print errors
      if threading.current_thread() is threading.main_thread() or not self.write(
          ''.join(traceback.format_exception(kind, value, tb))):
        previous_hook(kind, value, tb)

    def thread_hook(args):
      if not self.write(''.join(traceback.format_exception(
          args.exc_type, args.exc_value, args.exc_traceback))):
        previous_thread_hook(args)

    def unraisable(u):
      where = f'Exception ignored in: {u.object!r}\n' if u.object is not None else ''
      if not self.write(where + ''.join(traceback.format_exception(
          u.exc_type, u.exc_value, u.exc_traceback))):
        previous_unraisable(u)

    sys.excepthook, threading.excepthook = excepthook, thread_hook
    sys.unraisablehook = unraisable
    for handler in logging.getLogger().handlers:
      handler.addFilter(_ThreadErrors(self))


def run(program: str, workdir: Optional[str], body: Callable[[], object]) -> None:
  """Runs `body`; a problem the user can act on ends the process with one line and its
  exit status. The tracebacks behind it go to <workdir>/errors.log if `workdir` holds a
  run by then (never into a folder of the user's own)."""
  from infogan_jax.training import workdir as workdir_lib   # here: it starts JAX
  workdir = os.path.expanduser(workdir) if workdir else None
  log = ErrorLog(workdir and workdir_lib.error_log_path(workdir))
  log.install()
  try:
    body()
  except errors.UserError as e:
    errors.exit_with(e, program, _writable(log), mention_log=log.used)
  except (MemoryError, OSError, RuntimeError) as e:   # jax reports device OOM as these
    error = errors.from_environment(e)
    if error is None:
      raise
    error.__cause__ = e
    errors.exit_with(error, program, _writable(log), mention_log=True)


def _writable(log: ErrorLog) -> Optional[str]:
  """The log's path, if it is in a run's workdir."""
  if log.path and _is_run(os.path.dirname(log.path) or '.'):
    return log.path
  return None


def _is_run(folder: str) -> bool:
  from infogan_jax.training import workdir as workdir_lib
  return workdir_lib.is_run(folder)
