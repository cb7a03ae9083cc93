"""The latent-code layout: the one place that knows how z and c are laid out.

The generator input is ``[noise | one-hot(cat_1) | ... | one-hot(cat_K) | cont]``. Without
codes (DCGAN, WGAN-GP) it is the noise alone, and Q has nothing to predict.
Q's output is ``[logits(cat_1) | ... | logits(cat_K) | mean(cont) | log_std(cont)?]``;
with a guided code g (ss-InfoGAN, `guided`), whose logits come from a head of their own,
``[logits(cat_g) | the same without cat_g]``; when g is CGAN's condition (`conditional`:
D reads it with the image), Q does not predict it: ``[the same without cat_g]``.
Everything else (sampling, plots, evaluation) goes through `LatentSpec`.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

NOISE_PRIORS = ('uniform', 'normal')   # U(-1, 1) | N(0, 1)
MIN_CATEGORIES = 2                       # a categorical code of one value carries nothing
# Where continuous codes (prior U(-1, 1)) are swept to see what they control: eval.py's
# traversals and the explorer's sliders go this far beyond the prior.
TRAVERSAL_RANGE = (-2.0, 2.0)


class Latents(NamedTuple):
  """One batch of latent draws. ``cat`` holds integer codes, one column per code."""
  noise: jax.Array  # [B, noise_dim] float
  cat: jax.Array    # [B, num_cat_codes] int32
  cont: jax.Array   # [B, num_cont] float, each U(-1, 1)


class QOutput(NamedTuple):
  """Q's output split back per code group."""
  cat_logits: tuple   # one [B, k_i] array per categorical code
  cont_mean: jax.Array     # [B, num_cont]
  cont_log_std: Optional[jax.Array]  # [B, num_cont] or None when the std is fixed at 1


@dataclasses.dataclass(frozen=True)
class LatentSpec:
  noise_dim: int
  noise_prior: str = 'uniform'
  categorical: tuple = (10,)
  continuous: int = 2
  learn_cont_std: bool = False
  # ss-InfoGAN: the categorical code that Q predicts with a head of its own (Q_ss), which
  # a few labels can guide (config.semi_supervised); -1: none.
  guided: int = -1
  # CGAN (config.latent.condition_d): the guided code is D's condition, read with the
  # image (a real image's label, a generated one's code); Q has no output for it.
  conditional: bool = False

  def __post_init__(self):
    if self.noise_prior not in NOISE_PRIORS:
      raise ValueError(f'config.latent.noise_prior must be one of {NOISE_PRIORS}, '
                       f'got {self.noise_prior!r}')
    if self.noise_dim < 0 or self.continuous < 0:
      raise ValueError('config.latent.noise_dim and config.latent.continuous must be >= 0')
    if any(int(k) < MIN_CATEGORIES for k in self.categorical):
      raise ValueError('every entry of config.latent.categorical must be >= '
                       f'{MIN_CATEGORIES} categories, got {self.categorical}')
    if not self.categorical and not self.continuous and not self.noise_dim:
      raise ValueError('the generator needs an input: set config.latent.noise_dim and/or '
                       'codes (config.latent.categorical, config.latent.continuous)')
    object.__setattr__(self, 'categorical', tuple(int(k) for k in self.categorical))
    if not -1 <= self.guided < len(self.categorical):
      raise ValueError(f'config.latent.guided_code must be -1 (none) or the index of a '
                       f'categorical code (0..{len(self.categorical) - 1}), got {self.guided}')
    if self.conditional and self.guided < 0:
      raise ValueError('config.latent.condition_d=True makes the guided code D\'s condition: '
                       'set config.latent.guided_code to its index (configs/cgan.py)')

  @classmethod
  def from_config(cls, latent_config) -> 'LatentSpec':
    return cls(noise_dim=int(latent_config.noise_dim),
               noise_prior=str(latent_config.noise_prior),
               categorical=tuple(latent_config.categorical),
               continuous=int(latent_config.continuous),
               learn_cont_std=bool(latent_config.learn_cont_std),
               guided=int(latent_config.get('guided_code', -1)),
               conditional=bool(latent_config.get('condition_d', False)))

  # --- sizes ----------------------------------------------------------------
  @property
  def input_dim(self) -> int:
    """Width of the generator input."""
    return self.noise_dim + sum(self.categorical) + self.continuous

  @property
  def q_output_dim(self) -> int:
    return (sum(self.categorical[i] for i in self.predicted_codes)
            + self.continuous * (2 if self.learn_cont_std else 1))

  @property
  def predicted_codes(self) -> tuple:
    """The categorical codes Q predicts: all but CGAN's condition."""
    return tuple(i for i in range(len(self.categorical))
                 if not (self.conditional and i == self.guided))

  @property
  def q_guided_dim(self) -> int:
    """Width of the guided code's own head (0: no guided code, or D's condition)."""
    return self.categorical[self.guided] if self.guided >= 0 and not self.conditional else 0

  @property
  def condition_dim(self) -> int:
    """Width of D's condition (one-hot), 0 without one."""
    return self.categorical[self.guided] if self.conditional else 0

  # --- entropies of the priors, in nats -------------------------------------
  def cat_entropies(self) -> tuple:
    """H(c_i) = ln k_i for each uniform categorical code."""
    return tuple(float(np.log(k)) for k in self.categorical)

  def cont_entropy(self) -> float:
    """Differential entropy of the continuous group: ln 2 per U(-1,1) dimension."""
    return float(self.continuous * np.log(2.0))

  def cont_ceiling(self) -> Optional[float]:
    """The largest L_I the continuous group can reach when Q's std is fixed at 1.

    Even a Q that predicts every code exactly scores log N(c; c, 1) = -ln(2 pi)/2 per
    dimension, so with a fixed std the bound tops out below H(c) (at -0.45 nats for two
    codes). None when the std is learned (then the bound can approach H(c)).
    """
    if self.learn_cont_std or not self.continuous:
      return None
    return self.cont_entropy() - 0.5 * self.continuous * float(np.log(2 * np.pi))

  # --- sampling ---------------------------------------------------------------
  def sample_noise(self, rng, batch: int) -> jax.Array:
    if self.noise_prior == 'uniform':
      return jax.random.uniform(rng, (batch, self.noise_dim), minval=-1.0, maxval=1.0)
    return jax.random.normal(rng, (batch, self.noise_dim))

  def sample(self, rng, batch: int) -> Latents:
    noise_rng, cat_rng, cont_rng = jax.random.split(rng, 3)
    cat_rngs = jax.random.split(cat_rng, max(len(self.categorical), 1))
    cat = [jax.random.randint(r, (batch,), 0, k) for r, k in zip(cat_rngs, self.categorical)]
    cat = jnp.stack(cat, axis=1) if cat else jnp.zeros((batch, 0), jnp.int32)
    cont = jax.random.uniform(cont_rng, (batch, self.continuous), minval=-1.0, maxval=1.0)
    return Latents(self.sample_noise(noise_rng, batch), cat.astype(jnp.int32), cont)

  def generator_input(self, latents: Latents) -> jax.Array:
    parts = [latents.noise]
    parts += [jax.nn.one_hot(latents.cat[:, i], k, dtype=latents.noise.dtype)
              for i, k in enumerate(self.categorical)]
    parts.append(latents.cont.astype(latents.noise.dtype))
    return jnp.concatenate(parts, axis=1)

  def conditions(self, batch, latents: Latents):
    """CGAN's one-hot conditions of D (`conditional`): (the real images' labels, the
    generated images' guided codes); (None, None) for a D that reads images alone."""
    if not self.conditional:
      return None, None
    return (jax.nn.one_hot(batch['label'], self.condition_dim),
            jax.nn.one_hot(latents.cat[:, self.guided], self.condition_dim))

  def split_q(self, q_out: jax.Array) -> QOutput:
    """Splits Q's flat output into per-code parameters (None for CGAN's condition)."""
    if q_out.shape[-1] != self.q_output_dim:
      raise ValueError(f'Q output has width {q_out.shape[-1]}, the latent layout '
                       f'expects {self.q_output_dim}')
    order = list(self.predicted_codes)
    if self.q_guided_dim:   # its head's logits come first
      order.insert(0, order.pop(order.index(self.guided)))
    offsets = np.cumsum([0] + [self.categorical[i] for i in order])
    logits = [None] * len(self.categorical)
    for code, a, b in zip(order, offsets[:-1], offsets[1:]):
      logits[code] = q_out[:, a:b]
    start = int(offsets[-1])
    mean = q_out[:, start:start + self.continuous]
    log_std = q_out[:, start + self.continuous:] if self.learn_cont_std else None
    return QOutput(tuple(logits), mean, log_std)

  # --- fixed grids for figures --------------------------------------------------
  def category_grid(self, rng, num_noise: int, code: int = 0,
                    cont_value: float = 0.0) -> Latents:
    """Rows = categories of categorical code `code`, columns = `num_noise` noise draws.

    Other categorical codes are fixed at 0, continuous codes at `cont_value`;
    returned in row-major order (k * num_noise rows).
    """
    k = self.categorical[code]
    noise = jnp.tile(self.sample_noise(rng, num_noise), (k, 1))
    cat = np.zeros((k * num_noise, len(self.categorical)), np.int32)
    cat[:, code] = np.repeat(np.arange(k), num_noise)
    cont = jnp.full((k * num_noise, self.continuous), cont_value, jnp.float32)
    return Latents(noise, jnp.asarray(cat), cont)

  def traversal_grid(self, rng, cont_index: int, values: Sequence[float],
                     code: int = 0) -> Latents:
    """Rows = categories of code `code`, columns = values of continuous code `cont_index`.

    One noise vector for the whole grid, the other continuous codes at 0.
    """
    k = self.categorical[code] if self.categorical else 1
    values = np.asarray(values, np.float32)
    n = k * len(values)
    noise = jnp.tile(self.sample_noise(rng, 1), (n, 1))
    cat = np.zeros((n, len(self.categorical)), np.int32)
    if self.categorical:
      cat[:, code] = np.repeat(np.arange(k), len(values))
    cont = np.zeros((n, self.continuous), np.float32)
    cont[:, cont_index] = np.tile(values, k)
    return Latents(noise, jnp.asarray(cat), jnp.asarray(cont))
