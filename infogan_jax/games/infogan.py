"""InfoGAN's game: its training state and its train step, pure, jittable, per-device.

    state = create_train_state(config, jax.random.key(config.seed))
    step = jax.jit(train_step, donate_argnums=0)
    state, metrics = step(state, batch, step_rng(config.seed, int(state.step)))

`train_step` updates D and Q (one network: a shared trunk, two heads), then G, in one call.
Under `jax.shard_map` over a one-axis mesh (training.parallel) or `jax.pmap(...,
axis_name='batch')` pass `axis_name='batch'`: gradients, BatchNorm statistics and metrics
are then averaged over devices with `lax.pmean`, and BatchNorm normalises with the global
batch's statistics.

The same step plays the family members that are InfoGAN with other parts (`Game`): DCGAN
(no codes), the plain-GAN baseline, CGAN (D reads a condition), ACGAN, ss-InfoGAN (a
supervised term), WGAN-GP and R1 (penalties, WGAN's critic schedule), the consistency
term. VAE-GAN has an encoder and a step of its own (games/vaegan.py).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, Optional, Tuple

import flax
import jax
import jax.numpy as jnp
import optax
from jax import lax

from infogan_jax import streams
from infogan_jax.data import input_pipeline
from infogan_jax.games.common import (PlayerUpdate, apply_gradients, apply_train, descend,
                                      guard, nonfinite_mask, on_critic_schedule, per_device,
                                      pmean, sown_features, unchanged)
from infogan_jax.networks import models
from infogan_jax.networks.latents import Latents, LatentSpec
from infogan_jax.objectives import losses
from infogan_jax.objectives.adversarial import Objective
from infogan_jax.objectives.consistency import Consistency
from infogan_jax.objectives.information import Information
from infogan_jax.objectives.supervised import GuidedCode
from infogan_jax.objectives.terms import DiscriminatorView, add_terms
from infogan_jax.settings import config_validation


@dataclasses.dataclass(frozen=True)
class Game:
  """What a run's step plays with, fixed for the run (static under jit): the networks,
  their optimizers, the latent layout, and the losses."""
  generator: models.Generator
  discriminator: models.Discriminator   # D and Q: a shared trunk, two heads
  g_tx: optax.GradientTransformation
  d_tx: optax.GradientTransformation
  spec: LatentSpec
  adversarial: Objective = Objective()
  information: Information = Information()
  # D/Q's optional terms (objectives.terms), added to its loss in this order.
  d_terms: Tuple[Any, ...] = ()
  skip_nonfinite: bool = False   # config.on_nonfinite == 'skip'

  def on_devices(self, axis_name: Optional[str]) -> 'Game':
    """The game with its networks' BatchNorm all-reduced over `axis_name`."""
    if axis_name is None:
      return self
    return dataclasses.replace(self, generator=self.generator.clone(axis_name=axis_name),
                               discriminator=self.discriminator.clone(axis_name=axis_name))


@flax.struct.dataclass
class TrainState:
  """The arrays a step updates (what a checkpoint holds) and the game they belong to."""
  step: jax.Array
  g_params: Any
  g_stats: Any          # the generator's BatchNorm running statistics
  d_params: Any         # the shared trunk, D's head and Q's head
  d_stats: Any
  g_opt_state: Any
  d_opt_state: Any
  game: Game = flax.struct.field(pytree_node=False)

  # The game's parts, by the names the evaluation, the explorer and older code use.
  generator = property(lambda self: self.game.generator)
  discriminator = property(lambda self: self.game.discriminator)
  spec = property(lambda self: self.game.spec)
  encoder = None   # VAE-GAN's (games/vaegan.py)

  def with_optimizers(self, **txs) -> 'TrainState':
    """The state with other optimizers (g_tx=..., d_tx=...; e_tx=... for VAE-GAN's
    encoder), their states freshly initialised."""
    opt_states = {f'{name[0]}_opt_state': tx.init(getattr(self, f'{name[0]}_params'))
                  for name, tx in txs.items()}
    return self.replace(game=dataclasses.replace(self.game, **txs), **opt_states)

  def variables(self) -> Dict[str, Any]:
    """The arrays a checkpoint holds, by name."""
    return {'step': self.step, 'g_params': self.g_params, 'g_stats': self.g_stats,
            'd_params': self.d_params, 'd_stats': self.d_stats,
            'g_opt_state': self.g_opt_state, 'd_opt_state': self.d_opt_state}


def step_rng(seed: int, step) -> jax.Array:
  """The RNG of one step: a pure function of (seed, step), so a resumed run repeats it."""
  return streams.step_key(seed, step)


def train_step(state: TrainState, batch: Dict[str, jax.Array], rng: jax.Array,
               latents: Optional[Latents] = None, axis_name: Optional[str] = None):
  """One InfoGAN update: D and Q on real and generated images, then G through the updated
  D and Q. Returns (state, metrics).

  batch['image']: this device's real images in the generator's output range ('label' and
  'labelled' too for CGAN and ss-InfoGAN). `latents` may be given (e.g. to compare device
  layouts); by default they are drawn from `rng`. Metrics: the adversarial losses
  (d_loss, g_loss) and whole losses (d_total, g_total), D's mean score of real and
  generated images (d_real, d_fake), L_I per code group in nats (mi/cat0, ..., mi/cont),
  each D term's metrics (gp, r1, ss/..., consistency/...), and 'nonfinite' (NONFINITE_BITS).
  """
  game = state.game.on_devices(axis_name)
  spec, D = game.spec, game.discriminator
  real = batch['image']
  if latents is None:
    latents = spec.sample(rng, real.shape[0])
  real_condition, fake_condition = spec.conditions(batch, latents)   # CGAN's; else None
  # Each player's weights of L_I (ss-InfoGAN: the guided code's own on labelled batches).
  d_info, g_info = game.information.weights(labelled='label' in batch and not spec.conditional)

  # One generator forward serves both updates: D sees it detached, G pulls back through it.
  fake, g_pullback, g_stats = jax.vjp(
      lambda g_params: apply_train(game.generator, g_params, state.g_stats,
                                   spec.generator_input(latents)),
      per_device(state.g_params, axis_name), has_aux=True)

  # --- D and Q: the adversarial loss - lambda * L_I + D's terms (game.d_terms) ----------
  def d_objective(d_params):
    discriminate = lambda x, condition, stats: apply_train(D, d_params, stats, x,
                                                           condition=condition)
    (real_logits, real_q), stats = discriminate(real, real_condition, state.d_stats)
    (fake_logits, fake_q), stats = discriminate(lax.stop_gradient(fake), fake_condition, stats)
    gan = game.adversarial.d_loss(real_logits, fake_logits)
    mi = losses.mutual_information(spec, spec.split_q(fake_q), latents)
    view = DiscriminatorView(real, lax.stop_gradient(fake), real_q,
                             lambda x, condition: discriminate(x, condition, stats),
                             real_condition, spec, batch, rng, axis_name)
    total, metrics = add_terms(gan + d_info.loss(mi), game.d_terms, view)
    metrics.update({f'mi/{k}': v for k, v in mi.items()},
                   **game.adversarial.d_metrics(gan, real_logits, fake_logits))
    return total, (stats, metrics)

  (d_total, (d_stats, metrics)), d_params, d_opt_state, d_grads = descend(
      d_objective, game.d_tx, state.d_params, state.d_opt_state, axis_name)

  # --- G, through the updated D and Q: its adversarial loss - lambda * L_I ------------
  def g_objective(fake_images):
    (fake_logits, fake_q), stats = apply_train(D, d_params, d_stats, fake_images,
                                               condition=fake_condition)
    gan = game.adversarial.g_loss(fake_logits)
    mi = losses.mutual_information(spec, spec.split_q(fake_q), latents)
    return gan + g_info.loss(mi), (stats, gan)

  def g_update():
    (g_total, (stats, g_gan)), fake_grad = jax.value_and_grad(g_objective, has_aux=True)(fake)
    (g_grads,) = g_pullback(fake_grad)
    g_params, g_opt_state, g_grads = apply_gradients(game.g_tx, g_grads, state.g_opt_state,
                                                     state.g_params, axis_name)
    return PlayerUpdate(g_params, g_opt_state, stats, g_total, g_gan, g_grads)

  def g_measured():   # WGAN's critic steps: G's loss measured, G unchanged
    g_total, (_, g_gan) = g_objective(fake)
    return unchanged(state.g_params, state.g_opt_state, d_stats, g_total, g_gan)

  g = on_critic_schedule(state.step, game.adversarial.critic_steps, g_update, g_measured)

  new_state = state.replace(step=state.step + 1, g_params=g.params, d_params=d_params,
                            g_stats=pmean(g_stats, axis_name),
                            d_stats=pmean(g.d_stats, axis_name),
                            g_opt_state=g.opt_state, d_opt_state=d_opt_state)
  metrics = pmean(dict(metrics, d_total=d_total, g_total=g.total, g_loss=g.gan), axis_name)
  nonfinite = nonfinite_mask(metrics, d_grads, g.grads)
  return guard(state, new_state, nonfinite, game.skip_nonfinite), dict(metrics,
                                                                        nonfinite=nonfinite)


def create_train_state(config, rng) -> TrainState:
  """InfoGAN's networks, optimizers and game from a config (configs/default.py).

  Raises errors.ConfigError naming the first field that cannot work.
  """
  config = config_validation.validate(config, num_devices=1, num_processes=1)
  return init_state(game_from_config(config), rng)


def init_state(game: Game, rng) -> TrainState:
  """A fresh TrainState of `game`: networks initialised from `rng`, optimizers at zero."""
  g_params, g_stats, d_params, d_stats = init_networks(game, rng)
  return TrainState(step=jnp.zeros((), jnp.int32), g_params=g_params, g_stats=g_stats,
                    d_params=d_params, d_stats=d_stats, g_opt_state=game.g_tx.init(g_params),
                    d_opt_state=game.d_tx.init(d_params), game=game)


def game_from_config(config) -> Game:
  """The Game of a validated config: where the config becomes the parts' settings."""
  spec = LatentSpec.from_config(config.latent)
  generator, discriminator = models.build_models(config, spec,
                                                 input_pipeline.image_shape(config.dataset))
  objective = Objective.from_config(config)
  ss = config.semi_supervised
  ss_weight = float(ss.weight) if ss.labels_per_class != 0 else 0.0
  # The baseline's G gets no information term at all.
  lambdas = (0.0, 0.0) if config.gan_baseline else (float(config.lambda_cat),
                                                     float(config.lambda_cont))
  d_terms = objective.d_terms()
  if ss_weight and spec.guided >= 0 and not spec.conditional:
    d_terms += (GuidedCode(ss_weight, spec.guided),)
  consistency = Consistency.from_config(
      config, models.output_range(config.model.output_activation)[0])
  if consistency.weight:
    d_terms += (consistency,)
  return Game(
      generator=generator, discriminator=discriminator,
      g_tx=optax.adam(config.g_learning_rate, b1=config.beta1, b2=config.beta2),
      d_tx=optax.adam(config.d_learning_rate, b1=config.beta1, b2=config.beta2),
      spec=spec, adversarial=objective,
      information=Information(*lambdas, q_fits_only=bool(config.gan_baseline),
                              guided=spec.guided, guided_weight=ss_weight,
                              guided_generated_weight=float(ss.generated_weight)),
      d_terms=d_terms, skip_nonfinite=config.on_nonfinite == 'skip')


def init_keys(rng):
  """The keys that initialise G, D and (VAE-GAN's) the encoder, from the run's key."""
  return jax.random.split(rng, 3)


def init_networks(game: Game, rng):
  """(g_params, g_stats, d_params, d_stats) of freshly initialised networks."""
  def init(rng):
    g_rng, d_rng, _ = init_keys(rng)
    z = jnp.zeros((2, game.spec.input_dim), jnp.float32)
    g_vars = game.generator.init(g_rng, z, train=False)
    image = game.generator.apply(g_vars, z, train=False)
    d_vars = game.discriminator.init(d_rng, image, train=False)
    return (g_vars['params'], g_vars.get('batch_stats', {}),
            d_vars['params'], d_vars.get('batch_stats', {}))
  # One compiled program: op by op, initialisation dispatches and compiles every
  # operation on its own, several times slower.
  return jax.jit(init)(rng)


@jax.jit  # op by op, every call would dispatch (and first compile) each operation alone
def generate(state: TrainState, latents: Latents) -> jax.Array:
  """Images for given latents, with BatchNorm in inference mode (running averages)."""
  z = state.spec.generator_input(latents)
  return state.generator.apply({'params': state.g_params, 'batch_stats': state.g_stats}, z,
                               train=False)


@jax.jit
def infer(state: TrainState, images: jax.Array):
  """(D's logits, Q's split output) for images, BatchNorm in inference mode."""
  logits, q_out = state.discriminator.apply(
      {'params': state.d_params, 'batch_stats': state.d_stats}, images, train=False)
  return logits, state.spec.split_q(q_out)


def discriminator_features(state: TrainState, images: jax.Array) -> jax.Array:
  """D_l(x), where VAE-GAN measures reconstructions (networks.models), flattened: [N, F]."""
  _, sown = state.discriminator.apply(
      {'params': state.d_params, 'batch_stats': state.d_stats}, images, train=False,
      mutable=['intermediates'])
  return sown_features(sown)
