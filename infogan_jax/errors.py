"""Every error a user can act on, and how the command-line tools end on one.

Each message names what to change: the config field, the file, or the command to run.
`exit_status` is what train.py and eval.py exit with: 2 for input the user gave (a
config value, missing data, a workdir that cannot be evaluated), 1 for a run that
cannot go on (its workdir, its checkpoints, NaN/Inf).
"""
from __future__ import annotations

import errno
import os
import re
import sys
import time
import traceback
from typing import Optional


class UserError(Exception):
  """A problem with the user's inputs or environment that the user can fix."""
  exit_status = 1


class ConfigError(UserError, ValueError):
  """A config field whose value cannot work (config_validation.py)."""
  exit_status = 2


class DatasetUnavailableError(UserError, RuntimeError):
  """The data is neither prepared, nor given as files, nor downloadable."""
  exit_status = 2


class TrainingError(UserError, RuntimeError):
  """A run that cannot go on."""


class WorkdirError(TrainingError):
  """A workdir that cannot be written, or holds a run of another config."""


class NonFiniteError(TrainingError):
  """NaN/Inf in a loss or gradient (config.on_nonfinite)."""


class CheckpointError(UserError, RuntimeError):
  """A checkpoint that cannot be written (disk full, no permission) or read (damaged)."""


class CheckpointMismatchError(UserError, ValueError):
  """A checkpoint written by networks of another shape than the config builds."""


class EvaluationError(UserError, RuntimeError):
  """A workdir, checkpoint or MNIST classifier that evaluation cannot use."""
  exit_status = 2


class InputError(UserError, ValueError):
  """An argument of the public API (infogan_jax.load's model) that cannot work: the
  message names the argument, what it expects and what it got."""
  exit_status = 2


class WeightsFileError(EvaluationError, ValueError):
  """A network weights file (config.eval.inception_weights) that cannot be read: the
  message names the file."""


class ClassifierMissingError(EvaluationError, FileNotFoundError):
  """No trained MNIST classifier in config.eval.classifier_dir."""


class ResourceError(TrainingError):
  """The machine ran out of something the run needs: memory, disk space, permissions."""


# Write failures a user fixes outside the program: no space (or a file-size limit), and
# no permission. checkpointing.py words its advice for a failed save by these too.
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
NOT_ALLOWED_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS)


def from_environment(e: BaseException) -> Optional[UserError]:
  """The error a user can act on behind an exception of the environment (out of host or
  device memory, a full disk, a folder that cannot be written), or None."""
  text = str(e)
  if isinstance(e, MemoryError) or 'RESOURCE_EXHAUSTED' in text or 'Out of memory' in text:
    size = re.search(r'(Unable to allocate [\d.]+ \w+|Out of memory allocating \d+ bytes)',
                     text)
    return ResourceError(
        f'out of memory{f" ({size.group(1)})" if size else ""}. Lower config.batch_size '
        '(or config.num_seeds, config.steps_per_dispatch), then run the command again.')
  if isinstance(e, OSError) and e.errno in DISK_FULL_ERRNOS + NOT_ALLOWED_ERRNOS:
    where = f' {e.filename}' if e.filename else ''
    advice = ('free some space (or raise the file-size limit)' if e.errno in DISK_FULL_ERRNOS
              else 'make it writable')
    return ResourceError(
        f'cannot write{where}: [Errno {e.errno}] {e.strerror}. Complete checkpoints are '
        f'kept: {advice}, then run the same command again to resume.')
  return None


def exit_with(error: UserError, program: str, log_path: Optional[str] = None,
              mention_log: bool = False) -> None:
  """Ends the process: `<program>: error: <message>` as the last line on stderr, then
  `error.exit_status`.

  After a failed checkpoint save, orbax/tensorstore threads may still print tracebacks,
  even while we print (seen in CI). So stderr is taken from everyone else first: to
  `log_path` (with the error's own traceback, for a bug report; the message points there
  when the error has a cause or `mention_log`), else to nothing. The
  message goes last to the real stderr, and the process ends at once. Nothing is left to
  clean up: the trainer has closed its logs and checkpoint manager on the way out, and
  complete checkpoints are in place. The message starts on a new line: another thread
  may have written half a line before.
  """
  sys.stdout.flush()
  sys.stderr.flush()
  real_stderr = os.dup(2)
  details = ''
  try:
    if log_path is None:
      raise OSError
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    text = ''.join(traceback.format_exception(error))
    os.write(log, f'--- {time.strftime("%Y-%m-%d %H:%M:%S")} {program}: {error}\n'
                  f'{text}'.encode(errors='replace'))
    if error.__cause__ is not None or mention_log:
      details = f' (details: {log_path})'
  except OSError:
    log = os.open(os.devnull, os.O_WRONLY)
  os.dup2(log, 2)
  os.write(real_stderr, f'\n{program}: error: {error}{details}\n'.encode(errors='replace'))
  os._exit(error.exit_status)
