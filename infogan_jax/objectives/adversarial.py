"""The adversarial game a run plays (config.objective): InfoGAN's non-saturating GAN, or
WGAN-GP (its penalty is a term of D's loss: penalties.py).

    'nonsaturating'  D: -log D(x) - log(1 - D(G(z))); G: -log D(G(z))   (InfoGAN, DCGAN)
                     with one-sided label smoothing s: D's target for real images is 1 - s
                     (Salimans et al. 2016, "Improved techniques for training GANs").
    'wgan_gp'        critic: E[D(G(z))] - E[D(x)] + gp_weight * E[(||grad D(x_hat)|| - 1)^2],
                     x_hat on lines between real and generated images; G: -E[D(G(z))]
                     (Gulrajani et al. 2017, "Improved training of Wasserstein GANs").
    'none'           no game: D's and G's adversarial losses are 0 (D is not trained), for
                     the plain VAE (vaegan.py, configs/vae.py).

`r1_weight` = gamma > 0 (non-saturating game only): D's loss also gets the R1 penalty
(penalties.R1).

`critic_steps` = n: D is updated on every step and G on every n-th (WGAN-GP's n_critic = 5;
each D update sees a batch of its own, as in the paper's Algorithm 1).
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from infogan_jax.objectives import losses, penalties

ADVERSARIAL = ('nonsaturating', 'wgan_gp', 'none')


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

  def d_metrics(self, d_loss, real_logits, fake_logits) -> dict:
    """D's logged values: its adversarial loss and mean score of real and fake images."""
    return {'d_loss': d_loss, 'd_real': self.scores(real_logits),
            'd_fake': self.scores(fake_logits)}

  def d_terms(self) -> tuple:
    """The penalties this game adds to D's loss (terms.py), in the order they are added."""
    terms = ()
    if self.wasserstein:
      terms += (penalties.GradientPenalty(self.gp_weight),)
    if self.r1_weight:
      terms += (penalties.R1(self.r1_weight),)
    return terms
