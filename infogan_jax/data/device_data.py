"""A small dataset kept on the accelerator, and each step's batch drawn there.

config.data_placement='device': the training split is put on every device once, as
uint8 (MNIST: 47 MB), and the jitted step gathers its own batch. No host->device copy per
step, no input pipeline to keep up with the chip, and no TensorFlow.

The stream is a pure function of (seed, step), so a run resumed at step s repeats it:
epoch e is a permutation of the N examples drawn from a key of (seed, e), the epochs are
concatenated, and step s takes positions s*B .. s*B + B - 1 (B: the global batch). Device
d of D takes its own B/D of them, so the global batch is the same whatever the number of
devices and processes (every process holds the whole split; the data is small).

A permutation costs a sort of N keys (tens of ms on a CPU): `EpochOrders` computes each
epoch's once, on the device, and the steps index into it.
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

from infogan_jax import streams
from infogan_jax.networks import models


def epoch_permutations(seed, first_epoch, count: int, num_examples: int,
                       stream: int = streams.DATA) -> jax.Array:
  """[count, N] int32: the example order of epochs first_epoch .. first_epoch + count - 1
  (`stream`: streams.DATA, or DATA_Y for CycleGAN's second domain)."""
  root = jax.random.fold_in(jax.random.key(seed), stream)
  epochs = first_epoch + jnp.arange(count)
  return jax.vmap(lambda e: jax.random.permutation(jax.random.fold_in(root, e),
                                                   num_examples))(epochs).astype(jnp.int32)


def epochs_spanned(steps: int, batch_size: int, num_examples: int) -> int:
  """How many epochs `steps` consecutive batches can touch: the orders a call needs."""
  return 1 + math.ceil(steps * batch_size / num_examples)


def indices(orders, first_epoch, step, batch_size: int, start=0, rows: int = None):
  """Example indices of rows [start, start + rows) of the global batch of `step`, given
  `orders` = epoch_permutations(seed, first_epoch, ...) covering the step's epochs.
  Traceable in everything but the sizes; int32 arithmetic, written so that it does not
  overflow for any step below 2**31."""
  num_examples = orders.shape[1]
  rows = batch_size if rows is None else rows
  # Position p = step * B + start + i, written as (a * N + c) * B + o to stay in int32.
  a, c = jnp.divmod(jnp.asarray(step, jnp.int32), num_examples)
  offset = c * batch_size + start + jnp.arange(rows, dtype=jnp.int32)
  epoch = a * batch_size + offset // num_examples
  return orders[epoch - first_epoch, offset % num_examples]


def first_epoch(step: int, batch_size: int, num_examples: int) -> int:
  """The epoch of the first example of `step` (host integers, no overflow)."""
  return step * batch_size // num_examples


def batch(images_uint8, orders, first_epoch, step, batch_size: int, output_activation: str,
          start=0, rows: int = None) -> jax.Array:
  """Rows [start, start + rows) of the global batch of `step`, scaled like the host
  pipeline (input_pipeline) to the generator's output range."""
  idx = indices(orders, first_epoch, step, batch_size, start, rows)
  return models.from_uint8(images_uint8[idx].astype(jnp.float32), output_activation)


class EpochOrders:
  """The epoch orders a call needs, computed on the device when a new epoch begins.

  `for_steps(step)` returns (first_epoch, orders [count, N]) covering every batch of the
  `count - 1` epochs' worth of steps from `step` on (count = epochs_spanned(steps per
  call)); `sharding` places them (replicated over the mesh). `seed` may be a vector of
  seeds: the orders then have a leading seed axis. `stream`: epoch_permutations'.
  """

  def __init__(self, seed, batch_size: int, num_examples: int, steps_per_call: int,
               sharding=None, stream: int = streams.DATA):
    self.seed, self.batch_size, self.num_examples = seed, batch_size, num_examples
    self.count = epochs_spanned(steps_per_call, batch_size, num_examples)
    compute = functools.partial(epoch_permutations, count=self.count,
                                num_examples=num_examples, stream=stream)
    if jnp.ndim(seed):
      compute = jax.vmap(compute, in_axes=(0, None))
    self._compute = jax.jit(compute, out_shardings=sharding)
    self._first, self._orders = None, None

  def for_steps(self, step: int):
    first = first_epoch(step, self.batch_size, self.num_examples)
    if first != self._first:
      self._first, self._orders = first, self._compute(self.seed, first)
    return self._first, self._orders
