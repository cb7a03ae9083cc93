"""VAE-GAN (Larsen, Sonderby, Larochelle, Winther 2016, "Autoencoding beyond pixels using a
learned similarity metric"), and the plain VAE it is compared with: config.vae.

An encoder E (models.Encoder: D's trunk design) gives q(z | x) = N(mean, diag(exp(log_var)))
over the generator's noise; z = mean + exp(log_var / 2) * eps (reparameterisation), and
the generator, as the decoder, reconstructs x~ = G(z). The prior is G's own, N(0, I)
(config.latent.noise_prior='normal'). The paper's Algorithm 1, which games/vaegan.py's train_step
follows:

    L_prior = KL(q(z | x) || N(0, I))                      (closed form, `kl_to_prior`)
    L_llike = -log N(D_l(x); D_l(x~), I)                   (`reconstruction_error`)
    L_GAN   = log D(x) + log(1 - D(x~)) + log(1 - D(G(z_p))),  z_p ~ N(0, I)
    E: L_prior + L_llike;   G: gamma * L_llike - L_GAN;   D: L_GAN
and each network takes the gradient of its own loss only (E gets no GAN gradient; D no
reconstruction gradient). D_l is the output of D's last convolution (its last hidden
layer for 2-D data; networks/models.py): the paper takes a middle convolution of its deeper D,
the one before the fully connected layers, as we do.

Choices the paper leaves open, ours: the Gaussian's constant is dropped and the error is
summed over D_l's features (a log-likelihood), averaged over the batch. D sees G's samples
and the reconstructions as one batch of fakes of equal weight (the paper sums the two
terms, so its fakes weigh twice the real images; we keep D's real/fake balance as in the
rest of the family). G's GAN term is the non-saturating -log D over the same fakes.

reconstruction='pixels' measures L_llike on the pixels instead; with
config.objective.adversarial='none' (no D in the game) that is the plain VAE the paper
compares with (configs/vae.py).
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from infogan_jax import streams
from infogan_jax.objectives import global_batch

RECONSTRUCTIONS = ('features', 'pixels')


@dataclasses.dataclass(frozen=True)
class VAE:
  """The VAE part of a run (config.vae); `enabled` False: none (InfoGAN and the GANs)."""
  enabled: bool = False
  gamma: float = 1.0
  reconstruction: str = 'features'

  @classmethod
  def from_config(cls, config) -> 'VAE':
    v = config.vae
    return cls(bool(v.encoder), float(v.gamma), str(v.reconstruction))

  @property
  def in_features(self) -> bool:
    return self.reconstruction == 'features'


def split_posterior(encoder_out):
  """The encoder's [B, 2 * d] output -> (mean [B, d], log_var [B, d])."""
  mean, log_var = jnp.split(encoder_out, 2, axis=-1)
  return mean, log_var


def sample_posterior(mean, log_var, rng, axis_name=None):
  """z = mean + sigma * eps, eps ~ N(0, I) from the ENCODER stream of rng, drawn for the
  global batch and sliced per device (`axis_name`): any device count draws the same."""
  key = streams.stream(rng, streams.ENCODER)
  eps = global_batch.rows(lambda n: jax.random.normal(key, (n,) + mean.shape[1:], mean.dtype),
                          mean.shape[0], axis_name)
  return mean + jnp.exp(0.5 * log_var) * eps


def kl_to_prior(mean, log_var):
  """KL(N(mean, exp(log_var)) || N(0, I)) in nats, summed over dimensions, mean over the
  batch: 0.5 * sum(exp(log_var) + mean^2 - 1 - log_var)."""
  per_example = 0.5 * jnp.sum(jnp.exp(log_var) + mean ** 2 - 1.0 - log_var, axis=-1)
  return jnp.mean(per_example)


def reconstruction_error(target, reconstruction):
  """-log N(target; reconstruction, I) up to its constant: half the squared error summed
  over each example's features (or pixels), mean over the batch. `target` is held fixed."""
  diff = (jax.lax.stop_gradient(target) - reconstruction).reshape(target.shape[0], -1)
  return jnp.mean(0.5 * jnp.sum(diff ** 2, axis=-1))
