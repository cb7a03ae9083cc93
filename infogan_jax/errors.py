"""Every error a user can act on, and how the command-line tools end on one.

Each message names what to change: the config field, the file, or the command to run.
`exit_status` is what train.py and eval.py exit with: 2 for input the user gave (a
config value, missing data, a workdir that cannot be evaluated), 1 for a run that
cannot go on (its workdir, its checkpoints, NaN/Inf).
"""
from __future__ import annotations

import os
import sys


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


class ClassifierMissingError(EvaluationError, FileNotFoundError):
  """No trained MNIST classifier in config.eval.classifier_dir."""


def exit_with(error: UserError, program: str) -> None:
  """Ends the process: `<program>: error: <message>` as the last line on stderr, then
  `error.exit_status`.

  After a failed checkpoint save, orbax/tensorstore threads may still print tracebacks,
  even while we print (seen in CI). So stderr is silenced for everyone else first, the
  message goes last to the real stderr, and the process ends at once. Nothing is left to
  clean up: the trainer has closed its logs and checkpoint manager on the way out, and
  complete checkpoints are in place. The message starts on a new line: another thread
  may have written half a line before the silencing.
  """
  sys.stdout.flush()
  sys.stderr.flush()
  real_stderr = os.dup(2)
  os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
  os.write(real_stderr, f'\n{program}: error: {error}\n'.encode())
  os._exit(error.exit_status)
