"""Checkpoints with orbax: periodic saves, keep the last N, resume from the latest.

Only the arrays of the TrainState are saved (params, batch statistics, optimizer states,
step); the networks and optimizers themselves are rebuilt from the config. Orbax
writes each step to a temporary folder (`<step>` + UNFINISHED_SUFFIX) and renames it
when complete, so a run killed mid-save never leaves a checkpoint that `latest_step`
would pick up (tests/test_reliability.py kills runs mid-save to check this).

Orbax does not detect damaged data (a flipped byte restores silently as another number),
so each save also records a CRC-32 of every array in the step's metadata, and `restore`
compares them; a checkpoint without that record is refused, not trusted. Failures raise `CheckpointError` naming the checkpoint and the cause.
"""
from __future__ import annotations

import errno
import json
import os
import re
import shutil
import zlib
from typing import Dict, List, Optional

import jax
import numpy as np
import orbax.checkpoint as ocp

from infogan_jax import errors
from infogan_jax.training import workdir as workdir_lib
from infogan_jax.errors import CheckpointError, CheckpointMismatchError
from infogan_jax.games.infogan import TrainState

CHECKSUM_KEY = 'infogan_crc32'
# What orbax appends to a step's folder while it writes it (renamed away when complete).
UNFINISHED_SUFFIX = '.orbax-checkpoint-tmp'


def manager(workdir: str, keep: int = 3, create: bool = True) -> ocp.CheckpointManager:
  directory = workdir_lib.checkpoint_dir(workdir)
  options = ocp.CheckpointManagerOptions(max_to_keep=max(int(keep), 1), create=create)
  return ocp.CheckpointManager(directory, options=options,
                               item_handlers=ocp.StandardCheckpointHandler())


def remove_unfinished(workdir: str) -> List[str]:
  """Deletes the temporary folders of saves that a killed run left unfinished; returns
  them. Only for the trainer, before it creates its manager: a reader must not delete
  the folder a running trainer is writing."""
  directory = workdir_lib.checkpoint_dir(workdir)
  if not os.path.isdir(directory):
    return []
  removed = []
  for name in sorted(os.listdir(directory)):
    if UNFINISHED_SUFFIX in name:
      shutil.rmtree(os.path.join(directory, name), ignore_errors=True)
      removed.append(os.path.join(directory, name))
  return removed


def complete_steps(directory: str) -> List[int]:
  """Steps with a finished checkpoint in `directory` (read from disk, not the manager's
  cache, which counts a save in flight as done)."""
  if not os.path.isdir(directory):
    return []
  return sorted(int(name) for name in os.listdir(directory)
                if name.isdigit() and os.path.isdir(os.path.join(directory, name)))


def host_value(x) -> np.ndarray:
  """A host copy of an array; for an array spanning processes, this process's replica."""
  if isinstance(x, jax.Array) and not x.is_fully_addressable:
    x = x.addressable_data(0)
  return np.asarray(jax.device_get(x))


def checksums(variables) -> Dict[str, int]:
  return {_path_name(k): zlib.crc32(np.ascontiguousarray(host_value(v)).view(np.uint8))
          for k, v in jax.tree_util.tree_leaves_with_path(variables)}


def error_reason(e: BaseException) -> str:
  """The cause of an orbax/tensorstore error in a few words (they carry pages of specs)."""
  seen, chain = set(), []
  while e is not None and id(e) not in seen:
    seen.add(id(e))
    chain.append(e)
    e = e.__cause__ or e.__context__
  for err in chain:
    code = re.search(r"os_error_code='?(\d+)", str(err))
    if code:
      num = int(code.group(1))
      return f'[Errno {num}] {os.strerror(num)}'
    if isinstance(err, OSError) and err.errno:
      return f'[Errno {err.errno}] {err.strerror}'
  text = str(chain[0]).strip().splitlines()[0] if str(chain[0]).strip() else ''
  text = text.split(' See full TensorStore details')[0]
  return f'{type(chain[0]).__name__}: {text[:240]}'


def _write_failure(directory: str, step: Optional[int], e: BaseException) -> str:
  reason = error_reason(e)
  failed = re.search(r'(\d+)' + re.escape(UNFINISHED_SUFFIX), str(e))  # an earlier save?
  if failed:
    step = int(failed.group(1))
  done = complete_steps(directory)
  if f'Errno {errno.EFBIG}]' in reason:
    advice = 'A file-size limit was hit (ulimit -f, or the filesystem): raise it'
  elif any(f'Errno {n}]' in reason for n in errors.DISK_FULL_ERRNOS):
    advice = 'The disk is full: free some space'
  elif any(f'Errno {n}]' in reason for n in errors.NOT_ALLOWED_ERRNOS):
    advice = 'Make the folder writable'
  else:
    advice = 'Fix the cause'
  kept = (f'the complete checkpoints already there are intact (latest: step {done[-1]})'
          if done else 'no checkpoint was completed there')
  which = f'the checkpoint of step {step}' if step is not None else 'a checkpoint'
  return (f'could not write {which} to {directory}: {reason}. Training stopped; {kept}. '
          f'{advice}, then re-run the same command to resume.')


def save(mngr: ocp.CheckpointManager, state: TrainState, force: bool = True) -> None:
  """Starts an asynchronous save; raises CheckpointError if it (or the previous one) fails."""
  variables = state.variables()
  step = int(host_value(variables['step']))
  try:
    mngr.save(step, args=ocp.args.StandardSave(variables), force=force,
              custom_metadata={CHECKSUM_KEY: checksums(variables)})
  except Exception as e:  # orbax reports I/O errors as ValueError, tensorstore as Exception
    raise CheckpointError(_write_failure(str(mngr.directory), step, e)) from e


def wait(mngr: ocp.CheckpointManager, step: Optional[int] = None) -> None:
  """Waits for saves in flight; raises CheckpointError if one failed."""
  try:
    mngr.wait_until_finished()
  except Exception as e:
    raise CheckpointError(_write_failure(str(mngr.directory), step, e)) from e


def _damaged(where: str, e, possibly_intact: bool = False) -> CheckpointError:
  directory, name = os.path.split(where)
  earlier = [s for s in complete_steps(directory) if str(s) != name]
  options = (f'Delete {where} to resume from the previous checkpoint (step {earlier[-1]}), '
             if earlier else 'There is no earlier checkpoint; ')
  reason = (e if isinstance(e, str) else error_reason(e)).rstrip('. ')
  what = ('Its files were changed after it was written (a partial copy, or edited files)'
          if possibly_intact else 'Its files are truncated or corrupt (an interrupted '
          'copy, a disk error, or edited files)')
  return CheckpointError(
      f'checkpoint {where} cannot be used: {reason}. {what}. {options}or pass --restart '
      'to move the old run aside and start over.')


def _recorded_checksums(where: str) -> Optional[Dict[str, int]]:
  path = os.path.join(where, '_CHECKPOINT_METADATA')
  if not os.path.exists(path):
    return None
  try:
    with open(path) as f:
      meta = json.load(f)
  except (OSError, ValueError) as e:
    raise _damaged(where, f'{path} is not valid JSON ({e})') from None
  return (meta.get('custom_metadata') or {}).get(CHECKSUM_KEY)


def _verify(restored, where: str) -> None:
  recorded = _recorded_checksums(where)
  if not recorded:
    # Not trusted silently: without its record a damaged array would restore as another
    # number, and the next save would record fresh checksums of the damage.
    raise _damaged(where, 'its record of CRC-32 checksums (_CHECKPOINT_METADATA, '
                          f'custom_metadata.{CHECKSUM_KEY}) is missing, so its arrays '
                          'cannot be verified', possibly_intact=True)
  for name, crc in checksums(restored).items():
    if recorded.get(name) != crc:
      raise _damaged(where, f'the values of {name} differ from those saved '
                            '(CRC-32 mismatch)' if name in recorded else
                     f'{name} has no recorded CRC-32')


def restore(mngr: ocp.CheckpointManager, state: TrainState,
            step: Optional[int] = None) -> Optional[TrainState]:
  """Restores `step` (default: the latest) into the structure of `state`; None if empty.

  A checkpoint whose array shapes differ from the config's networks raises
  CheckpointMismatchError naming the parameter and the config fields to check; one
  that cannot be read or whose arrays do not match the checksums recorded at save time
  raises CheckpointError naming the checkpoint, the cause and the way out.
  """
  step = mngr.latest_step() if step is None else step
  if step is None:
    return None
  target = state.variables()
  where = os.path.join(str(mngr.directory), str(step))
  try:
    saved = mngr.item_metadata(step)
  except Exception as e:
    raise _damaged(where, e) from e
  _check_shapes(target, saved, where)
  abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, target)
  try:
    restored = mngr.restore(step, args=ocp.args.StandardRestore(abstract))
  except Exception as e:
    raise _damaged(where, e) from e
  _verify(restored, where)
  return state.replace(**restored)


def _path_name(path) -> str:
  """'g_params/Dense_0/kernel': the same for dict keys, attributes and indices."""
  return '/'.join(str(getattr(k, 'key', getattr(k, 'name', getattr(k, 'idx', k))))
                  for k in path)


def _check_shapes(target, saved, where: str) -> None:
  if saved is None:
    return
  saved_shapes = {_path_name(k): tuple(getattr(v, 'shape', ()) or ())
                  for k, v in jax.tree_util.tree_leaves_with_path(saved)}
  for key, leaf in jax.tree_util.tree_leaves_with_path(target):
    name = _path_name(key)
    want = tuple(np.shape(leaf))
    got = saved_shapes.get(name)
    if got is None:
      raise CheckpointMismatchError(
          f'checkpoint {where} has no entry {name}: it was written with a different '
          'model (check config.model.arch, config.model.*_widths, config.latent.*).')
    if got != want:
      raise CheckpointMismatchError(
          f'checkpoint {where}: {name} has shape {got}, the config builds {want}. '
          'The checkpoint was written with another config: check config.model.g_widths, '
          'config.model.d_widths, config.model.q_width and config.latent.* '
          '(noise_dim, categorical, continuous, learn_cont_std).')
