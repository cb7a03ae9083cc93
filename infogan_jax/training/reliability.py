"""What keeps a long run from losing work: preemption signals and non-finite steps.

- Stop signals (stop_signals.py, installed by train.py before anything else): SIGTERM /
  SIGINT only set a flag; the training loop reads it between steps (`agree_on_stop` with
  several processes), saves a checkpoint at the current step, flushes its logs and
  returns normally (train.py then exits 0). A second signal of either kind gives up.
- `CallsInFlight`: JAX returns from a jitted call before the device has run it, so a loop
  that syncs only at log steps queues every call up to the next one, and a stop request
  would wait for all of them (minutes at a long log interval on a slow host, past a
  scheduler's grace period). The loop waits for the oldest of more than two calls.
- `NonFiniteGuard`: `train_step` returns `metrics['nonfinite']`, a bitmask computed inside
  the jitted step (0: every loss, metric and gradient is finite). The trainer keeps the
  per-step flags on device and fetches them only at checks (every log interval, before
  every checkpoint save, at the end, and at least every `MAX_UNCHECKED_STEPS` steps):
  checking every step would force a device sync per step. A fault therefore surfaces up
  to one interval late, but never after a checkpoint that contains it has been written.

The workdir's record of its config, and --restart, are in workdir.py.
"""
from __future__ import annotations

import collections
from typing import Any, Dict, List, Optional, Tuple

import jax
import numpy as np

from infogan_jax.errors import NonFiniteError
from infogan_jax.games.common import NONFINITE_BITS


# --- preemption (the signals themselves: stop_signals.py) -------------------------------
def agree_on_stop(requested: bool) -> bool:
  """With several processes, stop only if any of them was signalled (all must save the
  same step together); call it at the same steps on every process."""
  import jax
  if jax.process_count() == 1:
    return requested
  from jax.experimental import multihost_utils
  flags = multihost_utils.process_allgather(np.asarray(requested, np.int32))
  return bool(np.any(flags))


# How many dispatched train-step calls the host may be ahead of the device by.
MAX_CALLS_IN_FLIGHT = 2


class CallsInFlight:
  """Bounds how far the host runs ahead of the device: `add(outputs)` after each dispatch
  (its small outputs, e.g. the metrics: holding them keeps no large buffers alive) waits
  until no more than `limit` added calls are unfinished. With two, the device always has
  the next call queued while the host waits, and a stop request is seen within two calls."""

  def __init__(self, limit: int = MAX_CALLS_IN_FLIGHT):
    self.limit = limit
    self._pending = collections.deque()

  def add(self, outputs: Any) -> None:
    self._pending.append(outputs)
    while len(self._pending) > self.limit:
      jax.block_until_ready(self._pending.popleft())

# --- non-finite losses and gradients ----------------------------------------------------
# config.on_nonfinite: 'stop' ends the run at a NaN/Inf step, 'skip' drops its update.
NONFINITE_POLICIES = ('stop', 'skip')
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
  """Collects the steps' metrics (device arrays, not synced) and checks them in batches.

  `policy` is config.on_nonfinite: 'stop' raises NonFiniteError at the first bad step;
  'skip' counts the steps whose update train_step dropped.
  """

  def __init__(self, policy: str, column: Optional[int] = None):
    self.policy = policy
    self.column = column   # several seeds trained together: this seed's column
    self._pending: List[Tuple[int, dict]] = []
    self.num_pending = 0                 # steps added since the last check
    self.skipped_steps: List[int] = []   # since the last `take_skipped`
    self._consecutive = 0

  def add(self, first_step: int, metrics: dict) -> None:
    """The metrics of steps first_step, first_step + 1, ..., stacked on a leading axis
    (and on a second, seed axis when `column` is set)."""
    self._pending.append((first_step, metrics))
    self.num_pending += len(metrics['nonfinite'])

  def check(self, last_checkpoint: Optional[str] = None,
            resumed_from: Optional[int] = None) -> None:
    """Fetches the pending flags. 'stop': raises on the first non-finite step, naming the
    last checkpoint written (or, `resumed_from` a step, that the run had resumed there)."""
    if not self._pending:
      return
    import jax
    pending, self._pending, self.num_pending = self._pending, [], 0
    masks = jax.device_get([m['nonfinite'] for _, m in pending])
    for (first_step, metrics), step_masks in zip(pending, masks):
      if self.column is not None:
        step_masks = step_masks[:, self.column]
      for i, mask in enumerate(step_masks):
        self._check_step(first_step + i, int(mask), metrics, i, last_checkpoint,
                         resumed_from)

  def _check_step(self, step, mask, metrics, index, last_checkpoint, resumed_from):
    if not mask:
      self._consecutive = 0
      return
    import jax
    at = index if self.column is None else (index, self.column)
    what = describe_nonfinite(mask, {k: v[at] for k, v in jax.device_get(metrics).items()})
    if self.policy == 'stop':
      if resumed_from is not None:
        # Nothing was saved since the resume: the values came from that checkpoint (which
        # passed its CRC check) and the steps after it, not from a state we checked.
        when = f', {step - resumed_from} steps after resuming from step {resumed_from}'
        saved = (f'nothing was saved since; {last_checkpoint} is the state it resumed '
                 'from, as it was saved')
      else:
        when = ''
        saved = (f'the last checkpoint, {last_checkpoint}, holds the finite state before '
                 'it' if last_checkpoint else 'no checkpoint had been written yet')
      raise NonFiniteError(
          f'non-finite values (NaN/Inf) at step {step}{when}, in: {what}. Training stopped '
          f"(config.on_nonfinite='stop') without saving that state; {saved}. Lower "
          'the learning rates (in a new workdir or with --restart), or re-run with '
          '--config.on_nonfinite=skip to drop such updates.')
    self.skipped_steps.append(step)
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
