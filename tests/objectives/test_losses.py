import jax
import jax.numpy as jnp
import numpy as np

from infogan_jax.objectives import losses
from infogan_jax.networks.latents import LatentSpec, Latents, QOutput


def _latents(cat, cont):
  cat = jnp.asarray(cat, jnp.int32)
  return Latents(jnp.zeros((cat.shape[0], 1)), cat, jnp.asarray(cont, jnp.float32))


def test_always_right_q_gives_the_entropy_and_uniform_q_gives_zero():
  spec = LatentSpec(noise_dim=1, categorical=(10, 3), continuous=0)
  cat = np.stack([np.arange(30) % 10, np.arange(30) % 3], 1)
  lat = _latents(cat, np.zeros((30, 0)))
  right = QOutput((100.0 * jax.nn.one_hot(cat[:, 0], 10), 100.0 * jax.nn.one_hot(cat[:, 1], 3)),
                  jnp.zeros((30, 0)), None)
  mi = losses.mutual_information(spec, right, lat)
  np.testing.assert_allclose(mi['cat0'], np.log(10), atol=1e-5)
  np.testing.assert_allclose(mi['cat1'], np.log(3), atol=1e-5)
  # Any constant logits are the uniform posterior: Q learned nothing, L_I = 0.
  uniform = QOutput((jnp.full((30, 10), 3.7), jnp.zeros((30, 3))), jnp.zeros((30, 0)), None)
  mi = losses.mutual_information(spec, uniform, lat)
  np.testing.assert_allclose(mi['cat0'], 0.0, atol=1e-6)
  np.testing.assert_allclose(mi['cat1'], 0.0, atol=1e-6)


def test_always_wrong_q_is_below_zero():
  spec = LatentSpec(noise_dim=1, categorical=(4,), continuous=0)
  cat = np.arange(8)[:, None] % 4
  wrong = QOutput((20.0 * jax.nn.one_hot((cat[:, 0] + 1) % 4, 4),), jnp.zeros((8, 0)), None)
  mi = losses.mutual_information(spec, wrong, _latents(cat, np.zeros((8, 0))))
  assert float(mi['cat0']) < -10


def test_continuous_bound_closed_form():
  spec = LatentSpec(noise_dim=1, categorical=(), continuous=2)
  cont = np.array([[0.5, -0.25], [0.0, 1.0]], np.float32)
  mean = np.array([[0.0, 0.0], [0.0, 0.5]], np.float32)
  lat = _latents(np.zeros((2, 0)), cont)
  mi = losses.mutual_information(spec, QOutput((), jnp.asarray(mean), None), lat)
  sq = ((cont - mean) ** 2).sum(1)
  expected = 2 * np.log(2) + np.mean(-0.5 * sq - np.log(2 * np.pi))
  np.testing.assert_allclose(mi['cont'], expected, rtol=1e-6)
  # Learned std: log N(x; m, s) with s = e^{log_std}.
  log_std = np.full((2, 2), np.log(0.5), np.float32)
  spec2 = LatentSpec(noise_dim=1, categorical=(), continuous=2, learn_cont_std=True)
  mi = losses.mutual_information(spec2, QOutput((), jnp.asarray(mean), jnp.asarray(log_std)), lat)
  ll = (-0.5 * ((cont - mean) / 0.5) ** 2 - np.log(0.5) - 0.5 * np.log(2 * np.pi)).sum(1)
  np.testing.assert_allclose(mi['cont'], 2 * np.log(2) + ll.mean(), rtol=1e-6)


def test_categorical_uses_exactly_one_softmax():
  logits = jnp.array([[2.0, 0.0, -1.0]])
  expected = 2.0 - np.log(np.exp(2.0) + 1 + np.exp(-1.0))
  np.testing.assert_allclose(losses.categorical_log_likelihood(logits, jnp.array([0])),
                             [expected], rtol=1e-6)


def test_gan_losses_on_logits():
  zero = jnp.zeros(4)
  np.testing.assert_allclose(losses.discriminator_loss(zero, zero), 2 * np.log(2), rtol=1e-6)
  np.testing.assert_allclose(losses.generator_loss(zero), np.log(2), rtol=1e-6)
  # Non-saturating: a confident D still gives G a gradient.
  g = jax.grad(lambda l: losses.generator_loss(l))(jnp.full(4, -10.0))
  assert float(jnp.abs(g).min()) > 0.2 / 4


def test_information_loss_weights():
  mi = {'cat0': jnp.array(2.0), 'cat1': jnp.array(1.0), 'cont': jnp.array(-0.5)}
  np.testing.assert_allclose(losses.information_loss(mi, 1.0, 0.1), -(3.0 - 0.05), rtol=1e-6)
