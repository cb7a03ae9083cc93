"""The adversarial game a run plays (config.objective): InfoGAN's non-saturating GAN, or
WGAN-GP; each a configurable part of the one train step (step.train_step).

    'nonsaturating'  D: -log D(x) - log(1 - D(G(z))); G: -log D(G(z))   (InfoGAN, DCGAN)
                     with one-sided label smoothing s: D's target for real images is 1 - s
                     (Salimans et al. 2016, "Improved techniques for training GANs").
    'wgan_gp'        critic: E[D(G(z))] - E[D(x)] + gp_weight * E[(||grad D(x_hat)|| - 1)^2],
                     x_hat on lines between real and generated images; G: -E[D(G(z))]
                     (Gulrajani et al. 2017, "Improved training of Wasserstein GANs").
    'none'           no game: D's and G's adversarial losses are 0 (D is not trained), for
                     the plain VAE (vaegan.py, configs/vae.py).

`r1_weight` = gamma > 0 (non-saturating game only): D's loss also gets
(gamma / 2) * E[||grad_x D(x)||^2] on real images, the R1 penalty (Mescheder, Geiger,
Nowozin 2018, "Which training methods for GANs do actually converge?"), which damps D's
slope at the data so that the game converges instead of circling; like WGAN-GP's penalty it
needs each image's score to depend on that image alone.

`critic_steps` = n: D is updated on every step and G on every n-th (WGAN-GP's n_critic = 5;
each D update sees a batch of its own, as in the paper's Algorithm 1). The gradient penalty
needs each example's score to depend on that example alone: no BatchNorm in D's trunk
(config.model.d_norm, validated).
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from infogan_jax.objectives import global_batch
from infogan_jax.objectives import losses

ADVERSARIAL = ('nonsaturating', 'wgan_gp', 'none')
# The gradient penalty's interpolation weights come from the step's key with this folded
# in: no other draw of the step (its latents use the key itself) can equal it.
PENALTY_STREAM = 2**31 - 1


@dataclasses.dataclass(frozen=True)
class Objective:
  adversarial: str = 'nonsaturating'
  gp_weight: float = 10.0
  critic_steps: int = 1
  label_smoothing: float = 0.0
  r1_weight: float = 0.0

  @classmethod
  def from_config(cls, config) -> 'Objective':
    o = config.objective
    return cls(str(o.adversarial), float(o.gp_weight), int(o.critic_steps),
               float(o.label_smoothing), float(o.r1_weight))

  @property
  def wasserstein(self) -> bool:
    return self.adversarial == 'wgan_gp'

  @property
  def adversarial_game(self) -> bool:
    return self.adversarial != 'none'

  def d_loss(self, real_logits, fake_logits) -> jax.Array:
    if not self.adversarial_game:
      return jnp.zeros((), jnp.float32)
    if self.wasserstein:
      return jnp.mean(fake_logits) - jnp.mean(real_logits)
    return losses.discriminator_loss(real_logits, fake_logits, self.label_smoothing)

  def g_loss(self, fake_logits) -> jax.Array:
    if not self.adversarial_game:
      return jnp.zeros((), jnp.float32)
    if self.wasserstein:
      return -jnp.mean(fake_logits)
    return losses.generator_loss(fake_logits)

  def scores(self, logits) -> jax.Array:
    """What the logs call D(x): a probability, or WGAN's critic value."""
    return jnp.mean(logits) if self.wasserstein else jnp.mean(jax.nn.sigmoid(logits))

  def penalty(self, critic, real, fake, rng, axis_name=None) -> jax.Array:
    """WGAN-GP's mean of (||grad_x critic(x)|| - 1)^2 over points between `real` and `fake`
    (`critic`: images -> scores, one per image).

    The interpolation weights are drawn for the global batch and each device takes its
    rows (`axis_name`): with the same key, any number of devices gives the same points.
    """
    eps = global_batch.rows(
        lambda n: jax.random.uniform(jax.random.fold_in(rng, PENALTY_STREAM), (n,)),
        real.shape[0], axis_name).reshape((real.shape[0],) + (1,) * (real.ndim - 1))
    between = eps * real + (1 - eps) * fake
    norms = jnp.sqrt(_squared_input_gradients(critic, between) + 1e-12)
    return jnp.mean((norms - 1.0) ** 2)

  def r1(self, critic, real) -> jax.Array:
    """R1: the mean over real images of ||grad_x critic(x)||^2 (`critic`: images ->
    scores, one per image); the loss adds (r1_weight / 2) times it, as in the paper."""
    return jnp.mean(_squared_input_gradients(critic, real))


def _squared_input_gradients(critic, images) -> jax.Array:
  """||grad_x critic(x)||^2 for each image x (one score per image, each its own image's)."""
  grads = jax.grad(lambda x: jnp.sum(critic(x)))(images)
  return jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, axis=1)
