"""CycleGAN's game (games/cyclegan.py): what each player's update is made of, and the
step's determinism."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from configs import tiny
from infogan_jax import games
from infogan_jax.games import cyclegan
from infogan_jax.objectives import cycle

LR = 0.01
FROZEN, SGD = optax.set_to_zero(), optax.sgd(LR)


def _state(pool_size=4, identity_weight=0.0):
  config = tiny.cyclegan_config()
  config.cyclegan.pool_size = pool_size
  config.cyclegan.identity_weight = identity_weight
  return games.create_train_state(config, jax.random.key(0))


def _batch(n=8):
  x = jax.random.uniform(jax.random.key(1), (n, 28, 28, 1), minval=-1, maxval=1)
  return {'image': x, 'image_y': jnp.tanh(2 * x[::-1])}


def _close(a, b):
  for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_allclose(u, v, rtol=2e-4, atol=1e-7)


@pytest.mark.slow   # two ResNet generators differentiated twice: ~20 s
def test_g_and_f_learn_from_the_generators_loss_and_move_nothing_else():
  """With SGD for the generators and the discriminators frozen, one step moves G and F by
  exactly -lr * the gradient of L_GAN(G, D_Y) + L_GAN(F, D_X) + lambda L_cyc +
  0.5 lambda L_idt (written out here; the identity loss switched on), and leaves D_X and D_Y as they were."""
  state = _state(identity_weight=0.5).with_optimizers(g_tx=SGD, d_tx=FROZEN)
  game, batch = state.game, _batch()
  x, y, lam, idt = batch['image'], batch['image_y'], game.cycle_weight, 0.5

  def loss(g):
    move = lambda d, images: cyclegan.translate(game, g, images, d)
    score = lambda domain, images: game.discriminator.apply(
        {'params': state.d_params[domain]}, images)
    fake_y, fake_x = move('x2y', x), move('y2x', y)
    return (jnp.mean((score('y', fake_y) - 1) ** 2) + jnp.mean((score('x', fake_x) - 1) ** 2)
            + lam * (jnp.mean(jnp.abs(move('y2x', fake_y) - x))
                     + jnp.mean(jnp.abs(move('x2y', fake_x) - y)))
            + idt * lam * (jnp.mean(jnp.abs(move('x2y', y) - y))
                           + jnp.mean(jnp.abs(move('y2x', x) - x))))

  grads = jax.jit(jax.grad(loss))(state.g_params)   # jitted: op by op is slow
  expected = jax.tree.map(lambda p, g: p - LR * g, state.g_params, grads)
  d_before = jax.device_get(state.d_params)
  new, metrics = jax.jit(games.train_step)(state, batch, None)
  _close(new.g_params, expected)
  assert all(float(jnp.max(jnp.abs(g))) > 0 for g in
             (jax.tree.leaves(grads['x2y'])[0], jax.tree.leaves(grads['y2x'])[0]))
  for a, b in zip(jax.tree.leaves(new.d_params), jax.tree.leaves(d_before)):
    np.testing.assert_array_equal(a, b)
  assert float(metrics['g_total']) == pytest.approx(float(jax.jit(loss)(state.g_params)),
                                                    rel=1e-5)


@pytest.mark.slow
def test_the_discriminators_learn_from_their_loss_on_detached_images_alone():
  """With the generators frozen and no pool, D_X and D_Y move by exactly -lr * the
  gradient of their least-squares losses on real images and G's (F's) images of this
  step, and G and F stay as they were (D's loss does not reach them)."""
  state = _state(pool_size=0).with_optimizers(g_tx=FROZEN, d_tx=SGD)
  game, batch = state.game, _batch()
  x, y = batch['image'], batch['image_y']
  fake_y = jax.jit(cyclegan.translate, static_argnums=(0, 3))(game, state.g_params, x, 'x2y')
  fake_x = jax.jit(cyclegan.translate, static_argnums=(0, 3))(game, state.g_params, y, 'y2x')

  def loss(d):
    score = lambda domain, images: game.discriminator.apply({'params': d[domain]}, images)
    return (cycle.least_squares_d_loss(score('x', x), score('x', fake_x))
            + cycle.least_squares_d_loss(score('y', y), score('y', fake_y)))

  expected = jax.tree.map(lambda p, g: p - LR * g, state.d_params,
                          jax.jit(jax.grad(loss))(state.d_params))
  g_before = jax.device_get(state.g_params)
  new, _ = jax.jit(games.train_step)(state, batch, None)
  _close(new.d_params, expected)
  for a, b in zip(jax.tree.leaves(new.g_params), jax.tree.leaves(g_before)):
    np.testing.assert_array_equal(a, b)


@pytest.mark.slow   # three CycleGAN steps compiled: ~15 s
def test_the_step_is_a_pure_function_of_state_and_batch():
  step = jax.jit(games.train_step)
  a, metrics = step(_state(), _batch(), None)
  b, _ = step(_state(), _batch(), None)
  for u, v in zip(jax.tree.leaves(a.variables()), jax.tree.leaves(b.variables())):
    np.testing.assert_array_equal(u, v)
  assert games.plays(a) == 'cyclegan' and int(a.pools['y']['count']) == 4
  assert set(metrics) == {'g_loss', 'cycle', 'identity', 'g_total', 'd_loss', 'd_total',
                          'd_real', 'd_fake', 'nonfinite'}
  assert int(metrics['nonfinite']) == 0


def test_the_learning_rate_is_constant_then_decays_linearly_to_zero():
  rate = cyclegan.learning_rate(2e-4, num_steps=100, decay_steps=40)
  assert float(rate(0)) == pytest.approx(2e-4) and float(rate(60)) == pytest.approx(2e-4)
  assert float(rate(80)) == pytest.approx(1e-4)
  assert float(rate(100)) == pytest.approx(0.0, abs=1e-12)


def _squares(rng, n, side=16):
  """Images [n, side, side, 1] in [-1, 1]: a bright square (4 to 8 pixels) at a random place
  on a dark ground."""
  images = -np.ones((n, side, side, 1), np.float32)
  for i in range(n):
    size = rng.integers(4, 9)
    r, c = rng.integers(0, side - size, 2)
    images[i, r:r + size, c:c + size] = 1.0
  return images


@pytest.mark.slow
def test_a_tiny_cyclegan_learns_the_other_domains_ground_and_cycles_back():
  """X: bright squares on a dark ground; Y: dark squares on a bright ground (other squares,
  never paired). After 400 steps G paints X's ground bright and F paints Y's dark, each
  cycle returns its image, and the D's no longer win outright. (The squares themselves are
  not inverted at this length: G keeps them as a slightly brighter patch that F reads back,
  the hidden-signal solution of Chu et al. 2017, "CycleGAN, a master of steganography";
  configs/cyclegan.py's digits keep their shape in the same way.)"""
  game = cyclegan.Game(cyclegan.translation.ResnetGenerator(8, 1, 1),
                       cyclegan.translation.PatchDiscriminator(8),
                       optax.adam(1e-3, b1=0.5), optax.adam(1e-3, b1=0.5), (16, 16, 1),
                       identity_weight=0.0, pool_size=10)
  state = cyclegan.init_state(game, jax.random.key(0))
  step = jax.jit(cyclegan.train_step)
  rng = np.random.default_rng(0)
  untrained = jax.device_get(state.g_params)
  for _ in range(400):
    batch = {'image': _squares(rng, 16), 'image_y': -_squares(rng, 16)}
    state, metrics = step(state, batch, None)
  x, y = _squares(np.random.default_rng(1), 64), -_squares(np.random.default_rng(2), 64)

  def ground_and_cycle(g_params):
    move = lambda images, d: np.asarray(cyclegan.translate(game, g_params, images, d))
    to_y, to_x = move(x, 'x2y'), move(y, 'y2x')
    return (to_y[x < 0].mean(), to_x[y > 0].mean(),
            np.abs(move(to_y, 'y2x') - x).mean(), np.abs(move(to_x, 'x2y') - y).mean())

  before, after = ground_and_cycle(untrained), ground_and_cycle(state.g_params)
  assert abs(before[0]) < 0.5 and abs(before[1]) < 0.5, before   # untrained: neither
  assert after[0] > 0.5 and after[1] < -0.5, after                # the other domain's ground
  assert after[2] < 0.15 and after[3] < 0.15, after               # and back again
  assert 0.2 < float(metrics['d_fake']) < float(metrics['d_real']) < 0.9, metrics
