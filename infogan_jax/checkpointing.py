"""Checkpoints with orbax: periodic saves, keep the last N, resume from the latest.

Only the arrays of the TrainState are saved (params, batch statistics, optimizer states,
step); the networks and optimizers themselves are rebuilt from the config. Orbax
writes each step to a temporary folder and renames it when complete, so a run killed
mid-save never leaves a checkpoint that `latest_step` would pick up.
"""
from __future__ import annotations

import os
from typing import Optional

import jax
import numpy as np
import orbax.checkpoint as ocp

from infogan_jax.training import TrainState


class CheckpointMismatchError(ValueError):
  pass


def manager(workdir: str, keep: int = 3, create: bool = True) -> ocp.CheckpointManager:
  directory = os.path.join(os.path.abspath(workdir), 'checkpoints')
  options = ocp.CheckpointManagerOptions(max_to_keep=max(int(keep), 1), create=create)
  return ocp.CheckpointManager(directory, options=options,
                               item_handlers=ocp.StandardCheckpointHandler())


def save(mngr: ocp.CheckpointManager, state: TrainState, force: bool = True) -> None:
  step = int(jax.device_get(state.step))
  mngr.save(step, args=ocp.args.StandardSave(state.variables()), force=force)


def restore(mngr: ocp.CheckpointManager, state: TrainState,
            step: Optional[int] = None) -> Optional[TrainState]:
  """Restores `step` (default: the latest) into the structure of `state`; None if empty.

  A checkpoint whose array shapes differ from the config's networks raises
  CheckpointMismatchError naming the parameter and the config fields to check.
  """
  step = mngr.latest_step() if step is None else step
  if step is None:
    return None
  target = state.variables()
  saved = mngr.item_metadata(step)
  _check_shapes(target, saved, os.path.join(str(mngr.directory), str(step)))
  abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, target)
  restored = mngr.restore(step, args=ocp.args.StandardRestore(abstract))
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
