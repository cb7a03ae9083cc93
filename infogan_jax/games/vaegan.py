"""VAE-GAN's game (Larsen et al. 2016; objectives/vae.py has its terms and the paper's
Algorithm 1): InfoGAN's networks plus an encoder E, and a step of its own.

    state = create_train_state(config, jax.random.key(config.seed))   # config.vae.encoder
    state, metrics = jax.jit(train_step)(state, batch, step_rng(config.seed, 0))

Each step: E encodes the real images, G decodes E's draws (reconstructions) and its own
samples, D learns to tell both from real images, then G learns from D's verdict and the
reconstruction error, and E from the error and its KL to the prior. The plain VAE
(configs/vae.py) is the same game without D (config.objective.adversarial='none').
"""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, Optional

import flax
import jax
import jax.numpy as jnp
import optax
from jax import lax

from infogan_jax.games import infogan
from infogan_jax.games.common import (apply_gradients, apply_train, apply_with_features,
                                      descend, guard, nonfinite_mask, per_device, pmean)
from infogan_jax.networks import models
from infogan_jax.networks.latents import Latents
from infogan_jax.objectives import vae as vae_terms
from infogan_jax.objectives.terms import DiscriminatorView, add_terms
from infogan_jax.settings import config_validation


@dataclasses.dataclass(frozen=True)
class Game(infogan.Game):
  """InfoGAN's Game plus the encoder, its optimizer and the VAE's settings."""
  encoder: Optional[models.Encoder] = None
  e_tx: Optional[optax.GradientTransformation] = None
  vae: vae_terms.VAE = vae_terms.VAE(enabled=True)

  def on_devices(self, axis_name):
    game = super().on_devices(axis_name)
    if axis_name is None:
      return game
    return dataclasses.replace(game, encoder=self.encoder.clone(axis_name=axis_name))


@flax.struct.dataclass
class TrainState(infogan.TrainState):
  """InfoGAN's arrays plus the encoder's."""
  e_params: Any = None
  e_stats: Any = None
  e_opt_state: Any = None

  encoder = property(lambda self: self.game.encoder)

  def variables(self) -> Dict[str, Any]:
    return dict(super().variables(), e_params=self.e_params, e_stats=self.e_stats,
                e_opt_state=self.e_opt_state)


step_rng = infogan.step_rng


def train_step(state: TrainState, batch: Dict[str, jax.Array], rng: jax.Array,
               latents: Optional[Latents] = None, axis_name: Optional[str] = None):
  """One VAE-GAN update of D, then G and E. Returns (state, metrics): InfoGAN's losses,
  vae/kl (KL(q(z|x) || p(z)) in nats per image) and vae/reconstruction (L_llike)."""
  game = state.game.on_devices(axis_name)
  D, vae = game.discriminator, game.vae
  real = batch['image']
  n = real.shape[0]
  if latents is None:
    latents = game.spec.sample(rng, n)

  def encoder_forward(e_params):
    out, stats = apply_train(game.encoder, e_params, state.e_stats, real)
    mean, log_var = vae_terms.split_posterior(out)
    return (vae_terms.sample_posterior(mean, log_var, rng, axis_name),
            vae_terms.kl_to_prior(mean, log_var)), stats

  (z_encoded, kl), e_pullback, e_stats = jax.vjp(
      encoder_forward, per_device(state.e_params, axis_name), has_aux=True)
  # G's samples, then its reconstructions of the real images (the last n), one batch.
  z = jnp.concatenate([game.spec.generator_input(latents), z_encoded])
  fake, g_pullback, g_stats = jax.vjp(
      lambda g_params, z: apply_train(game.generator, g_params, state.g_stats, z),
      per_device(state.g_params, axis_name), z, has_aux=True)

  def d_objective(d_params):   # D reads images alone (no codes, no condition)
    (real_logits, real_q), stats = apply_train(D, d_params, state.d_stats, real)
    (fake_logits, _), stats = apply_train(D, d_params, stats, lax.stop_gradient(fake))
    gan = game.adversarial.d_loss(real_logits, fake_logits)
    view = DiscriminatorView(real, lax.stop_gradient(fake), real_q,
                             lambda x, _: apply_train(D, d_params, stats, x), None, game.spec,
                             batch, rng, axis_name)
    total, metrics = add_terms(gan, game.d_terms, view)
    metrics.update(game.adversarial.d_metrics(gan, real_logits, fake_logits))
    return total, (stats, metrics)

  (d_total, (d_stats, metrics)), d_params, d_opt_state, d_grads = descend(
      d_objective, game.d_tx, state.d_params, state.d_opt_state, axis_name)

  def g_objective(fake_images):
    """(G's loss, L_llike): gamma * L_llike + G's GAN loss, and E's reconstruction term."""
    stats = d_stats
    if vae.in_features:   # the target D_l(x), through the updated D
      _, stats, real_features = apply_with_features(D, d_params, stats, real)
    (fake_logits, _), stats, fake_features = apply_with_features(D, d_params, stats,
                                                                 fake_images)
    llike = (vae_terms.reconstruction_error(real_features, fake_features[n:])
             if vae.in_features else vae_terms.reconstruction_error(real, fake_images[n:]))
    gan = game.adversarial.g_loss(fake_logits)
    return (gan + vae.gamma * llike, llike), (stats, gan)

  # G on its loss; E on KL + L_llike, pulled back through G's reconstructions only: one
  # vjp of (G's loss, L_llike), pulled back with the cotangents (1, 0) and (0, 1).
  (g_total, llike), objective_vjp, (d_stats, g_gan) = jax.vjp(g_objective, fake,
                                                              has_aux=True)
  one, zero = jnp.ones_like(llike), jnp.zeros_like(llike)
  g_grads, _ = g_pullback(objective_vjp((one, zero))[0])
  _, z_grad = g_pullback(objective_vjp((zero, one))[0])
  (e_grads,) = e_pullback((z_grad[n:], one))
  g_params, g_opt_state, g_grads = apply_gradients(game.g_tx, g_grads, state.g_opt_state,
                                                   state.g_params, axis_name)
  e_params, e_opt_state, e_grads = apply_gradients(game.e_tx, e_grads, state.e_opt_state,
                                                   state.e_params, axis_name)

  new_state = state.replace(
      step=state.step + 1, g_params=g_params,
      d_params=d_params, g_stats=pmean(g_stats, axis_name), d_stats=pmean(d_stats, axis_name),
      g_opt_state=g_opt_state, d_opt_state=d_opt_state,
      e_params=e_params,
      e_stats=pmean(e_stats, axis_name), e_opt_state=e_opt_state)
  metrics = pmean(dict(metrics, d_total=d_total, g_total=g_total, g_loss=g_gan,
                       **{'vae/kl': kl, 'vae/reconstruction': llike}), axis_name)
  nonfinite = nonfinite_mask(metrics, d_grads, (g_grads, e_grads))
  return guard(state, new_state, nonfinite, game.skip_nonfinite), dict(metrics,
                                                                        nonfinite=nonfinite)


def create_train_state(config, rng) -> TrainState:
  """VAE-GAN's networks, optimizers and game from a config with config.vae.encoder."""
  config = config_validation.validate(config, num_devices=1, num_processes=1)
  return init_state(game_from_config(config), rng)


def game_from_config(config) -> Game:
  """The Game of a validated config with config.vae.encoder: InfoGAN's, plus the encoder."""
  base = infogan.game_from_config(config)
  return Game(**{f.name: getattr(base, f.name) for f in dataclasses.fields(base)},
              encoder=models.build_encoder(config, base.spec),
              e_tx=optax.adam(config.vae.learning_rate, b1=config.beta1, b2=config.beta2),
              vae=vae_terms.VAE.from_config(config))


def init_state(game: Game, rng) -> TrainState:
  """A fresh TrainState of `game`: networks initialised from `rng`, optimizers at zero."""
  g_params, g_stats, d_params, d_stats = infogan.init_networks(game, rng)
  image_shape = tuple(game.generator.image_shape)
  e_vars = jax.jit(lambda key: game.encoder.init(key, jnp.zeros((2,) + image_shape),
                                                 train=False))(infogan.init_keys(rng)[2])
  e_params, e_stats = e_vars['params'], e_vars.get('batch_stats', {})
  return TrainState(step=jnp.zeros((), jnp.int32), g_params=g_params, g_stats=g_stats,
                    d_params=d_params, d_stats=d_stats, g_opt_state=game.g_tx.init(g_params),
                    d_opt_state=game.d_tx.init(d_params), game=game, e_params=e_params,
                    e_stats=e_stats, e_opt_state=game.e_tx.init(e_params))


def encode(state: TrainState, images: jax.Array):
  """The posterior q(z | x) for images: (mean, log_var) [N, noise_dim] each, BatchNorm in
  inference mode."""
  out = state.encoder.apply({'params': state.e_params, 'batch_stats': state.e_stats},
                            images, train=False)
  return vae_terms.split_posterior(out)
