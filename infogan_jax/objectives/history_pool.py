"""CycleGAN's history of generated images (Shrivastava et al. 2017, used by Zhu et al.
2017): each discriminator learns from generated images drawn partly from the last
`size` it was shown, not only from the newest generator's, which damps oscillation.

The reference code's ImagePool.query, image by image: while the pool holds fewer than
`size` images, the new image is stored and returned; once full, with probability 0.5 a
stored image chosen uniformly is returned and the new one takes its place, else the new
image is returned and the pool is left as it is.

Here the pool is part of the train state (a dict of arrays, checkpointed, so a resumed
run continues with the same history), and the draws are a pure function of a key, so a
run repeats itself. `query` takes the images one at a time (lax.scan), as the reference
does: two images of a batch may draw the same slot.
"""
from __future__ import annotations

from typing import Dict, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

# A pool: {'images': [size, H, W, C] (slots >= count unused), 'count': int32 filled slots}.
Pool = Dict[str, jax.Array]


def empty(size: int, image_shape) -> Pool:
  return {'images': jnp.zeros((size,) + tuple(image_shape), jnp.float32),
          'count': jnp.zeros((), jnp.int32)}


class _Draw(NamedTuple):
  swap: jax.Array   # whether a full pool returns a stored image
  slot: jax.Array   # which one


def query(pool: Pool, images: jax.Array, rng: jax.Array):
  """(the images D learns from this step [N, ...], the new pool), by the rule above."""
  size = pool['images'].shape[0]
  if size == 0:   # no pool: D sees the newest images (the option of the reference code)
    return images, pool
  n = images.shape[0]
  swap_key, slot_key = jax.random.split(rng)
  draws = _Draw(jax.random.bernoulli(swap_key, 0.5, (n,)),
                jax.random.randint(slot_key, (n,), 0, size))

  def one(pool: Pool, item):
    image, draw = item
    filling = pool['count'] < size
    slot = jnp.where(filling, pool['count'], draw.slot)
    stored = pool['images'][slot]
    returned = jnp.where(filling | ~draw.swap, image, stored)
    kept = jnp.where(filling | draw.swap, image, stored)
    return {'images': pool['images'].at[slot].set(kept),
            'count': pool['count'] + filling.astype(jnp.int32)}, returned

  pool, returned = lax.scan(one, pool, (images, draws))
  return returned, pool
