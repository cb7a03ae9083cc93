"""CycleGAN's game (Zhu et al. 2017): unpaired translation between two image domains X and
Y with two generators, G: X -> Y and F: Y -> X, and two discriminators, D_Y (real y or
G(x)?) and D_X (real x or F(y)?). Pure, jittable, per-device, like InfoGAN's step.

    state = create_train_state(config, jax.random.key(config.seed))   # config.cyclegan.enabled
    state, metrics = jax.jit(train_step)(state, {'image': x, 'image_y': y}, rng)

Each step, as the reference code's optimize_parameters: the generators first, on
    L_GAN(G, D_Y) + L_GAN(F, D_X) + lambda * L_cyc + lambda * identity * L_idt
(objectives/cycle.py) with the discriminators fixed; then the discriminators, on the
least-squares loss against real images and generated ones drawn through each one's history
pool (objectives/history_pool.py). Both generators share one Adam, both discriminators
another (the reference chains their parameters into one optimizer each).

Under data parallelism (axis_name) gradients and metrics are averaged over devices; the
pools see the global batch of generated images (all-gathered in device order) and draw
from (state.pool_key, state.step), so every device keeps the same pools and N devices train
like one. The step draws nothing else: `rng` and `latents` are accepted for the loop's
common signature and unused.
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
from infogan_jax.games.common import descend, guard, nonfinite_mask, pmean
from infogan_jax.networks import translation
from infogan_jax.objectives import cycle, history_pool
from infogan_jax.settings import config_validation

DIRECTIONS = ('x2y', 'y2x')   # the generators: G = 'x2y', F = 'y2x'
DOMAINS = ('x', 'y')          # the discriminators: D_X = 'x', D_Y = 'y'


@dataclasses.dataclass(frozen=True)
class Game:
  """What a CycleGAN run's step plays with, fixed for the run (static under jit)."""
  generator: translation.ResnetGenerator       # the architecture of both G and F
  discriminator: translation.PatchDiscriminator  # of both D_X and D_Y
  g_tx: optax.GradientTransformation
  d_tx: optax.GradientTransformation
  image_shape: Tuple[int, ...]
  cycle_weight: float = 10.0       # lambda
  identity_weight: float = 0.5     # of lambda; 0: no identity loss
  pool_size: int = 50
  skip_nonfinite: bool = False


@flax.struct.dataclass
class TrainState:
  """The arrays a CycleGAN step updates (what a checkpoint holds) and its game."""
  step: jax.Array
  pool_key: jax.Array   # uint32 key data from the run's seed: the pools draw from it and the step
  g_params: Any         # {'x2y': G's, 'y2x': F's}
  d_params: Any         # {'x': D_X's, 'y': D_Y's}
  g_opt_state: Any
  d_opt_state: Any
  pools: Any            # {'x': F(y)'s history for D_X, 'y': G(x)'s for D_Y}
  game: Game = flax.struct.field(pytree_node=False)

  generator = property(lambda self: self.game.generator)
  discriminator = property(lambda self: self.game.discriminator)

  def with_optimizers(self, g_tx=None, d_tx=None) -> 'TrainState':
    """The state with other optimizers for the generators and/or the discriminators,
    their states freshly initialised."""
    g_tx, d_tx = g_tx or self.game.g_tx, d_tx or self.game.d_tx
    return self.replace(game=dataclasses.replace(self.game, g_tx=g_tx, d_tx=d_tx),
                        g_opt_state=g_tx.init(self.g_params),
                        d_opt_state=d_tx.init(self.d_params))

  def variables(self) -> Dict[str, Any]:
    """The arrays a checkpoint holds, by name."""
    return {'step': self.step, 'pool_key': self.pool_key, 'g_params': self.g_params,
            'd_params': self.d_params, 'g_opt_state': self.g_opt_state,
            'd_opt_state': self.d_opt_state, 'pools': self.pools}


def translate(game: Game, g_params, images: jax.Array, direction: str) -> jax.Array:
  """G(images) for direction 'x2y', F(images) for 'y2x' (no state: instance norm)."""
  return game.generator.apply({'params': g_params[direction]}, images)


def _global(images, axis_name):
  """The global batch of `images` (device order), the same on every device (so what is
  computed from it alone, the pools, stays replicated), or `images` on one device."""
  if axis_name is None:
    return images
  try:
    return lax.all_gather(images, axis_name, tiled=True, to='invarying')
  except TypeError:   # JAX before all_gather's `to` (pmap: no such types to keep)
    return lax.all_gather(images, axis_name, tiled=True)


def _own_rows(images, rows: int, axis_name):
  """This device's rows of a global batch."""
  if axis_name is None:
    return images
  return lax.dynamic_slice_in_dim(images, lax.axis_index(axis_name) * rows, rows)


def train_step(state: TrainState, batch: Dict[str, jax.Array], rng: jax.Array = None,
               latents=None, axis_name: Optional[str] = None):
  """One CycleGAN update of G and F, then of D_X and D_Y. Returns (state, metrics).

  batch['image']: this device's images of X, batch['image_y']: of Y, unpaired, in [-1, 1].
  Metrics: g_loss (the generators' adversarial losses, summed), cycle (L_cyc), identity
  (L_idt), g_total; d_loss (both discriminators' losses, summed) = d_total; d_real, d_fake
  (the discriminators' mean score of real and of pooled generated images: 1 and 0 when they
  win); 'nonfinite' (games.common.NONFINITE_BITS).
  """
  game = state.game
  x, y = batch['image'], batch['image_y']
  lam = game.cycle_weight

  def scores(d_params, domain, images):
    return game.discriminator.apply({'params': d_params[domain]}, images)

  # --- G and F, the discriminators fixed -----------------------------------------------
  def g_objective(g_params):
    move = lambda direction, images: translate(game, g_params, images, direction)
    fake_y, fake_x = move('x2y', x), move('y2x', y)
    gan = (cycle.least_squares_g_loss(scores(state.d_params, 'y', fake_y))
           + cycle.least_squares_g_loss(scores(state.d_params, 'x', fake_x)))
    cyc = cycle.cycle_loss(x, move('y2x', fake_y), y, move('x2y', fake_x))
    idt = (cycle.identity_loss(x, move('y2x', x), y, move('x2y', y))
           if game.identity_weight else jnp.zeros((), jnp.float32))
    total = gan + lam * cyc + lam * game.identity_weight * idt
    return total, (fake_x, fake_y, {'g_loss': gan, 'cycle': cyc, 'identity': idt})

  (g_total, (fake_x, fake_y, g_metrics)), g_params, g_opt_state, g_grads = descend(
      g_objective, game.g_tx, state.g_params, state.g_opt_state, axis_name)

  # --- the pools: each discriminator's share of older generated images -----------------
  pool_x_key, pool_y_key = jax.random.split(
      jax.random.fold_in(jax.random.wrap_key_data(state.pool_key), state.step))
  rows = x.shape[0]
  pooled_x, pool_x = history_pool.query(state.pools['x'], _global(fake_x, axis_name),
                                        pool_x_key)
  pooled_y, pool_y = history_pool.query(state.pools['y'], _global(fake_y, axis_name),
                                        pool_y_key)
  pooled_x = lax.stop_gradient(_own_rows(pooled_x, rows, axis_name))
  pooled_y = lax.stop_gradient(_own_rows(pooled_y, rows, axis_name))

  # --- D_X and D_Y on real images and pooled generated ones ----------------------------
  def d_objective(d_params):
    real_x, real_y = scores(d_params, 'x', x), scores(d_params, 'y', y)
    gen_x, gen_y = scores(d_params, 'x', pooled_x), scores(d_params, 'y', pooled_y)
    loss = (cycle.least_squares_d_loss(real_x, gen_x)
            + cycle.least_squares_d_loss(real_y, gen_y))
    return loss, {'d_loss': loss, 'd_real': 0.5 * (jnp.mean(real_x) + jnp.mean(real_y)),
                  'd_fake': 0.5 * (jnp.mean(gen_x) + jnp.mean(gen_y))}

  (d_total, d_metrics), d_params, d_opt_state, d_grads = descend(
      d_objective, game.d_tx, state.d_params, state.d_opt_state, axis_name)

  new_state = state.replace(step=state.step + 1, g_params=g_params, d_params=d_params,
                            g_opt_state=g_opt_state, d_opt_state=d_opt_state,
                            pools={'x': pool_x, 'y': pool_y})
  metrics = pmean(dict(g_metrics, **d_metrics, g_total=g_total, d_total=d_total), axis_name)
  nonfinite = nonfinite_mask(metrics, d_grads, g_grads)
  return guard(state, new_state, nonfinite, game.skip_nonfinite), dict(metrics,
                                                                        nonfinite=nonfinite)


def learning_rate(rate: float, num_steps: int, decay_steps: int) -> optax.Schedule:
  """The reference's 'linear' policy: `rate` for the first num_steps - decay_steps steps,
  then down linearly to 0 at num_steps."""
  constant = max(num_steps - decay_steps, 0)
  return optax.join_schedules(
      [optax.constant_schedule(rate),
       optax.linear_schedule(rate, 0.0, max(decay_steps, 1))], [constant])


def game_from_config(config) -> Game:
  """The Game of a validated config with config.cyclegan.enabled."""
  c = config.cyclegan
  image_shape = tuple(input_pipeline.image_shape(config.dataset))
  decay = int(round(float(c.decay_share) * config.num_train_steps))
  adam = lambda rate: optax.adam(learning_rate(rate, config.num_train_steps, decay),
                                 b1=config.beta1, b2=config.beta2)
  return Game(
      generator=translation.ResnetGenerator(int(c.filters), int(c.residual_blocks),
                                            image_shape[-1]),
      discriminator=translation.PatchDiscriminator(int(c.filters)),
      g_tx=adam(config.g_learning_rate), d_tx=adam(config.d_learning_rate),
      image_shape=image_shape, cycle_weight=float(c.cycle_weight),
      identity_weight=float(c.identity_weight), pool_size=int(c.pool_size),
      skip_nonfinite=config.on_nonfinite == 'skip')


def create_train_state(config, rng) -> TrainState:
  """CycleGAN's networks, optimizers and game from a config with config.cyclegan.enabled."""
  config = config_validation.validate(config, num_devices=1, num_processes=1)
  return init_state(game_from_config(config), rng)


def init_keys(rng):
  """The keys that initialise G, F, D_X and D_Y, from the run's key."""
  return jax.random.split(rng, 4)


def init_state(game: Game, rng) -> TrainState:
  """A fresh TrainState of `game` from the run's key (jax.random.key(seed)): networks
  initialised, empty pools, optimizers at zero."""
  def init(rng):
    g_key, f_key, dx_key, dy_key = init_keys(rng)
    g_params = {'x2y': translation.init(game.generator, g_key, game.image_shape),
                'y2x': translation.init(game.generator, f_key, game.image_shape)}
    d_params = {'x': translation.init(game.discriminator, dx_key, game.image_shape),
                'y': translation.init(game.discriminator, dy_key, game.image_shape)}
    return g_params, d_params
  g_params, d_params = jax.jit(init)(rng)
  pools = {d: history_pool.empty(game.pool_size, game.image_shape) for d in DOMAINS}
  return TrainState(step=jnp.zeros((), jnp.int32),
                    pool_key=jax.random.key_data(streams.stream(rng, streams.POOL)),
                    g_params=g_params, d_params=d_params,
                    g_opt_state=game.g_tx.init(g_params), d_opt_state=game.d_tx.init(d_params),
                    pools=pools, game=game)
