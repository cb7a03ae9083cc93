"""Data parallelism: the per-device `train_step` under `jax.shard_map` on a 1-axis mesh.

We use shard_map (what `jax.pmap` is built on in current JAX) rather than pmap:
parameters stay ordinary global arrays (replicated over the mesh), so checkpoints,
evaluation and the single-device path see the same pytrees; the batch is sharded along
its first axis. Inside, `train_step(..., axis_name=AXIS)` all-reduces gradients,
BatchNorm statistics and metrics with `lax.pmean`. One device is a mesh of size 1:
the same code.
"""
from __future__ import annotations

import functools

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

from infogan_jax import training

AXIS = 'batch'


def make_mesh(devices=None) -> jax.sharding.Mesh:
  devices = jax.devices() if devices is None else devices
  return jax.sharding.Mesh(np.asarray(devices), (AXIS,))


def _per_device_step(state, batch, rng, latents):
  # Each device draws its own latents: fold the device index into the step's key.
  if latents is None:
    rng = jax.random.fold_in(rng, jax.lax.axis_index(AXIS))
  return training.train_step(state, batch, rng, latents=latents, axis_name=AXIS)


def make_train_step(mesh, with_latents: bool = False):
  """A jitted, state-donating step over `mesh`: (state, batch, rng[, latents]) -> (state, metrics).

  With `with_latents`, the caller passes the global batch of latents (sharded like the
  batch), which makes runs on different device counts comparable.
  """
  batch_spec = P(AXIS)
  if with_latents:
    fn = _per_device_step
    in_specs = (P(), batch_spec, P(), batch_spec)
  else:
    fn = functools.partial(_per_device_step, latents=None)
    in_specs = (P(), batch_spec, P())
  sharded = jax.shard_map(fn, mesh=mesh, in_specs=in_specs, out_specs=(P(), P()))
  return jax.jit(sharded, donate_argnums=0)


def replicate(tree, mesh):
  return jax.device_put(tree, NamedSharding(mesh, P()))


def global_batch(local_batch, mesh):
  """Assembles this process's numpy batch into a global array sharded over `mesh`."""
  sharding = NamedSharding(mesh, P(AXIS))
  return jax.tree.map(lambda x: jax.make_array_from_process_local_data(sharding, x),
                      local_batch)
