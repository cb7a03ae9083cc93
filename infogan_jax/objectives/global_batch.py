"""Random draws made for the global batch, of which each device keeps its own rows.

A step that draws per-example randomness (WGAN-GP's interpolation weights, the
consistency term's deformations, VAE-GAN's posterior noise) draws it for the whole global
batch from the key it is given and gives each device the rows of its slice of the batch:
given the same key on every device, one device and N devices see the same values for the
same images. The training loop gives each device a key of its own (streams.device_key, as
for its latents), so there the draws, like the latents, differ with the device count;
tests/training/test_parallel.py passes one key and the latents to compare device counts.
"""
from __future__ import annotations

from typing import Callable, Optional

import jax


def rows(draw: Callable[[int], jax.Array], num_rows: int,
         axis_name: Optional[str] = None) -> jax.Array:
  """`draw(global_rows)` -> an array with a leading axis of global_rows; returns this
  device's `num_rows` rows of it (all of it without `axis_name`)."""
  if axis_name is None:
    return draw(num_rows)
  devices = jax.lax.axis_size(axis_name)
  values = draw(num_rows * devices)
  return jax.lax.dynamic_slice_in_dim(values, jax.lax.axis_index(axis_name) * num_rows,
                                      num_rows)
