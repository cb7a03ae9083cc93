"""CycleGAN's losses (Zhu et al. 2017, eq. 1-3 and the identity loss of its section 5.2),
pure functions of arrays.

Adversarial: the least-squares GAN (Mao et al. 2017), which the paper uses in place of the
log-likelihood objective "for more stable training": D minimises
    (D(y) - 1)^2 + D(G(x))^2, halved (the reference code's 0.5 on D's loss),
and G minimises (D(G(x)) - 1)^2, each the mean over D's patch scores.
Cycle consistency: L_cyc = E_x ||F(G(x)) - x||_1 + E_y ||G(F(y)) - y||_1, per pixel (the
reference's L1Loss is a mean over pixels, so lambda = 10 weighs that mean).
Identity: L_idt = E_y ||G(y) - y||_1 + E_x ||F(x) - x||_1, weighted lambda * identity (0.5 in the
reference code): a generator fed an image of its own output domain should leave it alone.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp


def least_squares_d_loss(real_scores: jax.Array, fake_scores: jax.Array) -> jax.Array:
  """D's least-squares loss: 0.5 * (mean (D(real) - 1)^2 + mean D(fake)^2)."""
  return 0.5 * (jnp.mean(jnp.square(real_scores - 1.0)) + jnp.mean(jnp.square(fake_scores)))


def least_squares_g_loss(fake_scores: jax.Array) -> jax.Array:
  """G's least-squares loss: mean (D(G(x)) - 1)^2."""
  return jnp.mean(jnp.square(fake_scores - 1.0))


def l1(a: jax.Array, b: jax.Array) -> jax.Array:
  """The mean absolute difference per pixel."""
  return jnp.mean(jnp.abs(a - b))


def cycle_loss(x, reconstructed_x, y, reconstructed_y) -> jax.Array:
  """L_cyc: ||F(G(x)) - x||_1 + ||G(F(y)) - y||_1, each a mean over pixels."""
  return l1(reconstructed_x, x) + l1(reconstructed_y, y)


def identity_loss(x, f_of_x, y, g_of_y) -> jax.Array:
  """L_idt: ||G(y) - y||_1 + ||F(x) - x||_1, each a mean over pixels."""
  return l1(g_of_y, y) + l1(f_of_x, x)
