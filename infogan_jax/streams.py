"""Every random stream of a run, named in one place.

A run's randomness is a pure function of its seed, so a resumed run repeats itself. JAX
streams start from `step_key(seed, step)` = fold_in(key(seed), step); a draw that is not
the step's latents folds one of the constants below into that key. The data streams are
numpy generators seeded with [seed, constant, ...] or JAX keys folded with a constant
above every step number (steps stay below 2**31). No two constants are equal, so no two
streams coincide.

Which key a step gets: `training.parallel` gives each device fold_in(step key, device
index) (device 0 on a single device), so each device draws its own latents, and so its
own per-example draws below (`objectives.global_batch` slices the draw of one key; with
the same key on every device, as when latents are passed in, one device and N devices see
the same values).
"""
from __future__ import annotations

import jax

# --- folded into the step's key, inside the train step --------------------------------
# (the step's latents use the key itself)
PENALTY = 2**31 - 1        # WGAN-GP's interpolation weights (objectives.penalties)
DEFORMATION = 2**31 - 2    # the consistency term's deformations (objectives.consistency)
ENCODER = 2**31 - 3        # VAE-GAN's reparameterisation noise (objectives.vae)
# CycleGAN's history pools (objectives.history_pool): fold_in(key(seed), POOL), kept in
# the state and folded with the step there, not a device's key, so every device updates
# the pools alike.
POOL = 2**31 - 4

# --- the data, from the run's seed alone ----------------------------------------------
DATA = 2**32 - 1           # the device-resident epoch orders: fold_in(key(seed), DATA)
LABELS = 2**32 - 2         # ss-InfoGAN's labelled subset and draws: numpy [seed, LABELS, ...]
SHAPES = 2**32 - 3         # the shapes dataset: numpy [seed, SHAPES, split]
PRINTED = 2**32 - 4        # the printed digits' renderings: numpy [seed, PRINTED, split]
DATA_Y = 2**32 - 5         # CycleGAN's second domain's epoch orders, like DATA

_IN_STEP = (PENALTY, DEFORMATION, ENCODER, POOL)
_DATA = (DATA, LABELS, SHAPES, PRINTED, DATA_Y)
assert len(set(_IN_STEP + _DATA)) == len(_IN_STEP + _DATA), 'two streams share a constant'


def step_key(seed: int, step) -> jax.Array:
  """The key of one step: a pure function of (seed, step), so a resumed run repeats it."""
  return jax.random.fold_in(jax.random.key(seed), step)


def device_key(key: jax.Array, device) -> jax.Array:
  """The key one device's part of a data-parallel step draws from."""
  return jax.random.fold_in(key, device)


def stream(key: jax.Array, constant: int) -> jax.Array:
  """The key of a named stream (one of the constants above) within the step's key."""
  return jax.random.fold_in(key, constant)
