"""A small dataset kept on the accelerator, and each step's batch drawn there.

config.data_placement='device': the training split is put on every device once, as
uint8 (MNIST: 47 MB), and the jitted step gathers its own batch. No host->device copy per
step, no input pipeline to keep up with the chip, and no TensorFlow.

The stream is a pure function of (seed, step), so a run resumed at step s repeats it:
epoch e is a permutation of the N examples drawn from a key of (seed, e), the epochs are
concatenated, and step s takes positions s*B .. s*B + B - 1 (B: the global batch). Device
d of D takes its own B/D of them, so the global batch is the same whatever the number of
devices and processes (every process holds the whole split; the data is small).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from infogan_jax import models

# The data stream's key is fold_in(key(seed), DATA_STREAM), then the epoch: no step's
# RNG, fold_in(key(seed), step) with a step below 2**31, can equal it.
DATA_STREAM = 2**32 - 1


def _epoch_permutation(seed, epoch, num_examples: int):
  key = jax.random.fold_in(jax.random.fold_in(jax.random.key(seed), DATA_STREAM), epoch)
  return jax.random.permutation(key, num_examples)


def indices(seed, step, batch_size: int, num_examples: int, start: int = 0,
            rows: int = None) -> jax.Array:
  """Example indices of rows [start, start + rows) of the global batch of `step`.

  `batch_size` (the global batch) must be <= `num_examples`, so that a batch spans at
  most two epochs. Traceable in `seed` and `step` (int32; valid while step * batch_size
  stays within int32 after reduction by num_examples, i.e. any practical run).
  """
  rows = batch_size if rows is None else rows
  # Position p = step * B + start + i, written as (a * N + c) * B + o to stay in int32.
  a, c = jnp.divmod(jnp.asarray(step, jnp.int32), num_examples)
  offset = c * batch_size + start + jnp.arange(rows, dtype=jnp.int32)
  epoch = a * batch_size + offset // num_examples
  within = offset % num_examples
  first = epoch[0]
  perm_first = _epoch_permutation(seed, first, num_examples)
  perm_next = _epoch_permutation(seed, first + 1, num_examples)
  return jnp.where(epoch == first, perm_first[within], perm_next[within])


def batch(images_uint8, seed, step, batch_size: int, output_activation: str, start: int = 0,
          rows: int = None) -> jax.Array:
  """Rows [start, start + rows) of the global batch of `step`, scaled like the host
  pipeline (input_pipeline) to the generator's output range."""
  idx = indices(seed, step, batch_size, images_uint8.shape[0], start, rows)
  lo, hi = models.output_range(output_activation)
  return images_uint8[idx].astype(jnp.float32) * ((hi - lo) / 255.0) + lo
