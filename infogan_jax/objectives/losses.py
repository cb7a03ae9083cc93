"""Pure loss functions: the non-saturating GAN game and the mutual-information bound.

All information quantities are in nats. For a code c with prior p(c) and Q's posterior
q(c|x), the variational lower bound of I(c; G(z, c)) is

    L_I = H(c) + E_{c ~ p, x ~ G(z, c)} [log q(c | x)]      (paper, eq. 4-5)

so a Q that is always right gives L_I = H(c) (ln k for Cat(k)) and a Q that ignores x
and outputs the prior gives 0.
"""
from __future__ import annotations

import math
from typing import Dict, Optional

import jax
import jax.numpy as jnp

from infogan_jax.networks.latents import Latents, LatentSpec, QOutput

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array,
                       label_smoothing: float = 0.0) -> jax.Array:
  """-log D(x) - log(1 - D(G(z))), on logits (sigmoid cross-entropy, stable); with
  one-sided label smoothing s, real images count as real with probability 1 - s."""
  real = jax.nn.softplus(-real_logits)
  if label_smoothing:
    real = (1 - label_smoothing) * real + label_smoothing * jax.nn.softplus(real_logits)
  return jnp.mean(real) + jnp.mean(jax.nn.softplus(fake_logits))


def generator_loss(fake_logits: jax.Array) -> jax.Array:
  """Non-saturating generator loss -log D(G(z)) (paper, sec. 3 of Goodfellow 2014)."""
  return jnp.mean(jax.nn.softplus(-fake_logits))


def categorical_log_likelihood(logits: jax.Array, codes: jax.Array) -> jax.Array:
  """log q(c|x) per example. Q's head emits raw logits; this is the only softmax."""
  log_probs = jax.nn.log_softmax(logits.astype(jnp.float32), axis=-1)
  return jnp.take_along_axis(log_probs, codes[:, None], axis=-1)[:, 0]


def gaussian_log_likelihood(x: jax.Array, mean: jax.Array, log_std=None) -> jax.Array:
  """Factored Gaussian log-density summed over the last axis; std 1 when log_std is None."""
  mean = mean.astype(jnp.float32)
  if log_std is None:
    log_std = jnp.zeros_like(mean)
  log_std = log_std.astype(jnp.float32)
  z = (x - mean) * jnp.exp(-log_std)
  return jnp.sum(-0.5 * z * z - log_std - _HALF_LOG_2PI, axis=-1)


def mutual_information(spec: LatentSpec, q: QOutput, latents: Latents) -> Dict[str, jax.Array]:
  """L_I per code group, in nats: {'cat0': ..., 'cat1': ..., 'cont': ...} (not for CGAN's
  condition, which Q does not predict)."""
  out = {}
  for i, (logits, entropy) in enumerate(zip(q.cat_logits, spec.cat_entropies())):
    if logits is None:
      continue
    out[f'cat{i}'] = entropy + jnp.mean(categorical_log_likelihood(logits, latents.cat[:, i]))
  if spec.continuous:
    ll = gaussian_log_likelihood(latents.cont, q.cont_mean, q.cont_log_std)
    out['cont'] = spec.cont_entropy() + jnp.mean(ll)
  return out


def information_loss(mi: Dict[str, jax.Array], lambda_cat: float, lambda_cont: float,
                     code_weights: Optional[Dict[str, float]] = None) -> jax.Array:
  """The term added to both players' losses: -(lambda_cat * sum L_I_cat + lambda_cont * L_I_cont);
  `code_weights` gives some groups ('cat0', ...) a weight of their own (ss-InfoGAN)."""
  code_weights = code_weights or {}
  total = jnp.zeros((), jnp.float32)
  for name, value in mi.items():
    weight = code_weights.get(name, lambda_cont if name == 'cont' else lambda_cat)
    total = total - weight * value
  return total


def supervised_cross_entropy(logits: jax.Array, labels: jax.Array,
                             labelled: jax.Array) -> jax.Array:
  """ss-InfoGAN's term on real images: the mean of -log q(label | x) over the batch,
  times `labelled` (per example: 1 for a labelled image, 0 for one without a label)."""
  return -jnp.mean(labelled * categorical_log_likelihood(logits, labels))
