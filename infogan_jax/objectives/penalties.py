"""Penalties on D's input gradient, as terms of D's loss (terms.py).

`GradientPenalty`: WGAN-GP's weight * E[(||grad D(x_hat)|| - 1)^2], x_hat on lines between
real and generated images (Gulrajani et al. 2017, "Improved training of Wasserstein GANs").
`R1`: (gamma / 2) * E[||grad_x D(x)||^2] on real images (Mescheder, Geiger, Nowozin 2018,
"Which training methods for GANs do actually converge?"), which damps D's slope at the
data so that the game converges instead of circling.

Both need each image's score to depend on that image alone: no BatchNorm or minibatch
features in D (config validation says so).
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from infogan_jax import streams
from infogan_jax.objectives import global_batch


def squared_input_gradients(critic, images) -> jax.Array:
  """||grad_x critic(x)||^2 for each image x (one score per image, each its own image's)."""
  grads = jax.grad(lambda x: jnp.sum(critic(x)))(images)
  return jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, axis=1)


def gradient_penalty(critic, real, fake, rng, axis_name=None) -> jax.Array:
  """The mean of (||grad_x critic(x)|| - 1)^2 over points between `real` and `fake`
  (`critic`: images -> scores, one per image).

  The interpolation weights come from the PENALTY stream of `rng`, drawn for the global
  batch, each device taking its rows (`axis_name`; see objectives.global_batch).
  """
  eps = global_batch.rows(
      lambda n: jax.random.uniform(streams.stream(rng, streams.PENALTY), (n,)),
      real.shape[0], axis_name).reshape((real.shape[0],) + (1,) * (real.ndim - 1))
  between = eps * real + (1 - eps) * fake
  norms = jnp.sqrt(squared_input_gradients(critic, between) + 1e-12)
  return jnp.mean((norms - 1.0) ** 2)


def r1(critic, real) -> jax.Array:
  """R1: the mean over real images of ||grad_x critic(x)||^2 (the loss adds gamma / 2
  times it, as in the paper)."""
  return jnp.mean(squared_input_gradients(critic, real))


@dataclasses.dataclass(frozen=True)
class GradientPenalty:
  """WGAN-GP's penalty (config.objective.gp_weight); metric 'gp'."""
  weight: float = 10.0

  def __call__(self, view):
    gp = gradient_penalty(view.critic, view.real, view.fake, view.rng, view.axis_name)
    return self.weight * gp, {'gp': gp}


@dataclasses.dataclass(frozen=True)
class R1:
  """R1 on real images (config.objective.r1_weight = gamma); metric 'r1'."""
  weight: float = 0.0

  def __call__(self, view):
    value = r1(view.critic, view.real)
    return 0.5 * self.weight * value, {'r1': value}
