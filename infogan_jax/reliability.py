"""What keeps a long run from losing work: preemption signals, non-finite steps, and the
workdir's record of its config.

- `StopSignals`: SIGTERM / SIGINT only set a flag; the training loop reads it between
  steps, saves a checkpoint at the current step, flushes its logs and returns normally
  (train.py then exits 0). A second signal of either kind gives up waiting.
- `NonFiniteGuard`: `train_step` returns `metrics['nonfinite']`, a bitmask computed inside
  the jitted step (0: every loss, metric and gradient is finite). The trainer keeps the
  per-step flags on device and fetches them only at checks (every log interval, before
  every checkpoint save, at the end, and at least every `MAX_UNCHECKED_STEPS` steps):
  checking every step would force a device sync per step. A fault therefore surfaces up
  to one interval late, but never after a checkpoint that contains it has been written.
- `prepare_workdir`: compares this run's config with `<workdir>/config.json`; a
  different config is refused unless `restart=True`, which moves the old run aside.

Errors that the user can fix derive from `TrainingError`; train.py prints their message
on one line and exits with status 1.
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from typing import Dict, List, Optional, Tuple

import numpy as np


class TrainingError(RuntimeError):
  """A problem with the run's inputs or environment that the user can fix."""


class WorkdirError(TrainingError):
  pass


class NonFiniteError(TrainingError):
  pass


# --- preemption -------------------------------------------------------------------------
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


def agree_on_stop(requested: bool) -> bool:
  """With several processes, stop only if any of them was signalled (all must save the
  same step together); call it at the same steps on every process."""
  import jax
  if jax.process_count() == 1:
    return requested
  from jax.experimental import multihost_utils
  flags = multihost_utils.process_allgather(np.asarray(requested, np.int32))
  return bool(np.any(flags))


# --- non-finite losses and gradients ----------------------------------------------------
NONFINITE_BITS = ('losses or metrics', 'D/Q gradients', 'G gradients')
MAX_UNCHECKED_STEPS = 100     # flags fetched at least this often, whatever the log interval
MAX_CONSECUTIVE_SKIPS = 100   # 'skip' gives up when this many updates in a row fail


def describe_nonfinite(mask: int, metrics: Dict[str, float]) -> str:
  """'d_loss, g_total, D/Q gradients': what was NaN/Inf in one step."""
  names = [k for k, v in sorted(metrics.items())
           if k != 'nonfinite' and not np.all(np.isfinite(v))]
  names += [what for bit, what in enumerate(NONFINITE_BITS[1:], start=1) if mask >> bit & 1]
  if not names and mask & 1:
    names = [NONFINITE_BITS[0]]
  return ', '.join(names) or 'an unknown quantity'


class NonFiniteGuard:
  """Collects each step's metrics (device arrays, not synced) and checks them in batches.

  `policy` is config.on_nonfinite: 'stop' raises NonFiniteError at the first bad step;
  'skip' counts the steps whose update train_step dropped.
  """

  def __init__(self, policy: str = 'stop'):
    if policy not in ('stop', 'skip'):
      raise ValueError(f"on_nonfinite must be 'stop' or 'skip', got {policy!r}")
    self.policy = policy
    self._pending: List[Tuple[int, dict]] = []
    self.skipped_steps: List[int] = []   # since the last `take_skipped`
    self.total_skipped = 0
    self._consecutive = 0

  def add(self, step: int, metrics: dict) -> None:
    self._pending.append((step, metrics))

  @property
  def num_pending(self) -> int:
    return len(self._pending)

  def check(self, last_checkpoint: Optional[str] = None) -> None:
    """Fetches the pending flags. 'stop': raises on the first non-finite step."""
    if not self._pending:
      return
    import jax
    pending, self._pending = self._pending, []
    masks = jax.device_get([m['nonfinite'] for _, m in pending])
    for (step, metrics), mask in zip(pending, masks):
      mask = int(mask)
      if not mask:
        self._consecutive = 0
        continue
      what = describe_nonfinite(mask, jax.device_get(metrics))
      if self.policy == 'stop':
        saved = (f'the last checkpoint, {last_checkpoint}, was written before it and '
                 'is intact' if last_checkpoint else 'no checkpoint had been written yet')
        raise NonFiniteError(
            f'non-finite values (NaN/Inf) at step {step} in: {what}. Training stopped '
            f"(config.on_nonfinite='stop') without saving that state; {saved}. Lower "
            'the learning rates (in a new workdir or with --restart), or re-run with '
            '--config.on_nonfinite=skip to drop such updates.')
      self.skipped_steps.append(step)
      self.total_skipped += 1
      self._consecutive += 1
      if self._consecutive >= MAX_CONSECUTIVE_SKIPS:
        raise NonFiniteError(
            f'{self._consecutive} consecutive updates up to step {step} were non-finite '
            f"({what}) and were skipped (config.on_nonfinite='skip'); the run cannot "
            'recover. Lower the learning rates (in a new workdir or with --restart).')
      if len(self.skipped_steps) == 1:
        print(f'step {step}: non-finite {what}; update skipped '
              "(config.on_nonfinite='skip')", flush=True)

  def take_skipped(self) -> List[int]:
    steps, self.skipped_steps = self.skipped_steps, []
    return steps


# --- the workdir and its config.json ----------------------------------------------------
# Fields that may change when a run is resumed: how long it runs, what it logs and keeps,
# where the data is read from, how faults are handled, and evaluation settings. Any other
# difference would continue the checkpoint under a config that did not produce it.
RESUMABLE_CHANGES = ('num_train_steps', 'log_every_steps', 'sample_every_steps',
                     'checkpoint_every_steps', 'keep_checkpoints', 'data_dir', 'manual_dir',
                     'prefetch', 'on_nonfinite', 'eval')
CONFIG_FILE = 'config.json'


def _flatten(tree, prefix=''):
  out = {}
  for key, value in tree.items():
    if isinstance(value, dict):
      out.update(_flatten(value, f'{prefix}{key}.'))
    else:
      out[f'{prefix}{key}'] = value
  return out


def config_differences(old: dict, new: dict) -> List[str]:
  """'config.x: a in the workdir, b now' for every field that may not change on resume.

  Fields present on one side only (added to the schema later) are not compared.
  """
  old, new = _flatten(old), _flatten(new)
  diffs = []
  for name in sorted(set(old) & set(new)):
    if name.split('.')[0] in RESUMABLE_CHANGES or name in RESUMABLE_CHANGES:
      continue
    if old[name] != new[name]:
      diffs.append(f'config.{name}: {old[name]!r} in the workdir, {new[name]!r} now')
  return diffs


def _config_dict(config) -> dict:
  return json.loads(config.to_json_best_effort())


def _has_run(workdir: str) -> bool:
  checkpoints = os.path.join(workdir, 'checkpoints')
  return os.path.isdir(checkpoints) and bool(os.listdir(checkpoints))


def move_old_run(workdir: str) -> Optional[str]:
  """Moves everything in `workdir` (except earlier moved runs) to workdir/replaced_<time>/."""
  entries = [e for e in os.listdir(workdir) if not e.startswith('replaced_')]
  if not entries:
    return None
  target = os.path.join(workdir, time.strftime('replaced_%Y%m%d-%H%M%S'))
  suffix = 0
  while os.path.exists(target + (f'_{suffix}' if suffix else '')):
    suffix += 1
  target += f'_{suffix}' if suffix else ''
  os.makedirs(target)
  for entry in entries:
    os.replace(os.path.join(workdir, entry), os.path.join(target, entry))
  return target


def write_config(config, workdir: str) -> None:
  """Writes <workdir>/config.json atomically (a killed run never leaves half a file)."""
  path = os.path.join(workdir, CONFIG_FILE)
  tmp = f'{path}.tmp-{os.getpid()}'
  with open(tmp, 'w') as f:
    f.write(config.to_json_best_effort(indent=2))
    f.flush()
    os.fsync(f.fileno())
  os.replace(tmp, path)


def prepare_workdir(config, workdir: str, restart: bool = False,
                    is_lead: bool = True) -> None:
  """Checks `workdir` before any work: writable, and holding no run of another config.

  `restart=True` moves an existing run to workdir/replaced_<time>/ and starts afresh.
  Only the lead process writes; every process runs the comparison (same files, same
  answer). Raises WorkdirError.
  """
  path = os.path.join(workdir, CONFIG_FILE)
  if restart:
    if is_lead and os.path.isdir(workdir):
      try:
        moved = move_old_run(workdir)
      except OSError as e:
        raise WorkdirError(f'--restart: could not move the old run out of the way in '
                           f'{workdir}: {e.strerror or e}') from None
      if moved:
        print(f'--restart: moved the previous run to {moved}', flush=True)
    _barrier('infogan_restart')
  elif os.path.exists(path):
    try:
      with open(path) as f:
        old = json.load(f)
    except (OSError, ValueError) as e:
      raise WorkdirError(
          f'{path} cannot be read ({e}). It records the config of the run in {workdir}; '
          'restore it, or pass --restart to move the old run aside and start over.'
      ) from None
    diffs = config_differences(old, _config_dict(config))
    if diffs:
      shown = '; '.join(diffs[:6]) + ('; ...' if len(diffs) > 6 else '')
      raise WorkdirError(
          f'{workdir} holds a run with a different config ({shown}). Resuming would '
          'continue it under settings that did not produce it. Use the settings of '
          f'{path} to resume, pass --restart to move the old run aside and start over, '
          'or choose another --workdir.')
  elif _has_run(workdir):
    print(f'Note: {workdir} has checkpoints but no {CONFIG_FILE}; resuming without '
          'comparing configs (array shapes are still checked).', flush=True)
  if is_lead:
    try:
      os.makedirs(workdir, exist_ok=True)
      write_config(config, workdir)
    except OSError as e:
      where = f' ({e.filename})' if e.filename and e.filename != workdir else ''
      raise WorkdirError(f'cannot write to the workdir {workdir}: {e.strerror or e}{where}'
                         ) from None


def _barrier(name: str) -> None:
  import jax
  if jax.process_count() > 1:
    from jax.experimental import multihost_utils
    multihost_utils.sync_global_devices(name)
