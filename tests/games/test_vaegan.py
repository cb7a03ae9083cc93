"""VAE-GAN and the plain VAE (vaegan.py): the KL term's closed form, each network trained by
its own loss only (the paper's Algorithm 1), reconstructions that improve on the ring, the
public API's encode/reconstruct, and the config's mistakes named."""
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import tensorflow_datasets as tfds

from configs import ring8, tiny, vae, vaegan
from infogan_jax import api
from infogan_jax.evaluation import classifier
from infogan_jax.settings import config_validation
from infogan_jax import errors
from infogan_jax.evaluation import report as evaluation
from infogan_jax.data import input_pipeline
from infogan_jax.training import loop
from infogan_jax import games
from infogan_jax.training import workdir as workdir_lib
from infogan_jax.objectives import vae as vaegan_lib


def test_kl_to_the_prior_has_its_closed_form():
  zero = jnp.zeros((3, 4))
  np.testing.assert_allclose(vaegan_lib.kl_to_prior(zero, zero), 0.0, atol=1e-7)
  # mean (1, 2), unit variance: 0.5 * (1 + 4) = 2.5 nats
  np.testing.assert_allclose(vaegan_lib.kl_to_prior(jnp.array([[1.0, 2.0]]),
                                                    jnp.zeros((1, 2))), 2.5, rtol=1e-6)
  # N(0, 4) against N(0, 1): 0.5 * (4 - 1 - ln 4)
  np.testing.assert_allclose(vaegan_lib.kl_to_prior(jnp.zeros((1, 1)),
                                                    jnp.full((1, 1), np.log(4.0))),
                             0.5 * (3 - np.log(4.0)), rtol=1e-6)
  # and a Monte Carlo estimate of E_q[log q(z) - log p(z)] agrees
  mean, log_var = jnp.array([[0.5, -1.0, 0.0]]), jnp.array([[0.3, -0.7, 1.2]])
  z = vaegan_lib.sample_posterior(jnp.tile(mean, (200_000, 1)), jnp.tile(log_var, (200_000, 1)),
                                  jax.random.key(0))
  log_q = jax.scipy.stats.norm.logpdf(z, mean, jnp.exp(0.5 * log_var)).sum(1)
  log_p = jax.scipy.stats.norm.logpdf(z).sum(1)
  np.testing.assert_allclose(jnp.mean(log_q - log_p), vaegan_lib.kl_to_prior(mean, log_var),
                             rtol=2e-2)


def test_reconstruction_error_is_a_gaussian_log_likelihood_of_the_target():
  target = jnp.array([[1.0, 2.0], [0.0, 0.0]])
  guess = jnp.array([[1.0, 0.0], [3.0, 4.0]])
  np.testing.assert_allclose(vaegan_lib.reconstruction_error(target, guess),
                             np.mean([0.5 * 4, 0.5 * 25]), rtol=1e-6)
  # the target is held fixed: only the reconstruction is pulled
  assert np.all(jax.grad(vaegan_lib.reconstruction_error)(target, guess) == 0)


def _small(config):
  """configs/vaegan.py (or vae.py) on tiny's MNIST-shaped networks."""
  config.model = tiny.get_config().model
  config.latent.noise_dim = 8
  return tiny.short_run(config)


def _sgd(state, d_frozen=False):
  """The state with plain SGD (rate 1) for G and E: an update is then minus the gradient,
  which Adam's first step (about the gradient's sign) would hide. D frozen on request."""
  sgd, frozen = optax.sgd(1.0), optax.set_to_zero()
  d_tx = frozen if d_frozen else sgd
  return state.with_optimizers(g_tx=sgd, e_tx=sgd, d_tx=d_tx)


def _changed(before, after):
  return max(float(jnp.max(jnp.abs(a - b))) for a, b in
             zip(jax.tree.leaves(before), jax.tree.leaves(after)))


@pytest.mark.slow
def test_each_network_learns_from_its_own_loss_only():
  batch = {'image': np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)}
  rng = games.step_rng(0, 0)

  # D's update does not depend on gamma (no reconstruction gradient reaches D); G's does.
  states = {}
  for gamma in (0.0, 100.0):
    config = _small(vaegan.get_config())
    config.vae.gamma = gamma
    state = _sgd(games.create_train_state(config, jax.random.key(0)))
    states[gamma], _ = games.train_step(state, batch, rng)
  assert _changed(states[0.0].d_params, states[100.0].d_params) == 0
  assert _changed(states[0.0].g_params, states[100.0].g_params) > 0

  # E gets no GAN gradient: with D fixed, changing D's output layer (which the GAN terms
  # read and D_l, the reconstruction's layer, does not) leaves E's update as it was, and
  # changes G's.
  config = _small(vaegan.get_config())
  state = _sgd(games.create_train_state(config, jax.random.key(0)), d_frozen=True)
  other_head = jax.tree.map(lambda x: x * 3.0, state.d_params['d_head'])
  other = state.replace(d_params={**state.d_params, 'd_head': other_head})
  new, metrics = games.train_step(state, batch, rng)
  new_other, _ = games.train_step(other, batch, rng)
  assert _changed(state.e_params, new.e_params) > 0             # E learns
  assert _changed(new.e_params, new_other.e_params) < 1e-6
  assert _changed(new.g_params, new_other.g_params) > 0
  assert np.isfinite(metrics['vae/kl']) and metrics['vae/reconstruction'] > 0

  # The plain VAE plays no game: D is never trained.
  config = _small(vae.get_config())
  state = games.create_train_state(config, jax.random.key(0))
  new, metrics = games.train_step(state, batch, rng)
  assert _changed(state.d_params, new.d_params) == 0 and metrics['d_loss'] == 0
  assert _changed(state.e_params, new.e_params) > 0


def _ring_vaegan():
  config = ring8.get_config()
  config.latent.categorical = ()
  config.latent.noise_prior = 'normal'
  config.latent.noise_dim = 2
  config.vae.encoder = True
  config.vae.gamma = 1e-2
  config.vae.learning_rate = 1e-3
  config.num_train_steps = 150
  config.log_every_steps = 50
  return config


@pytest.mark.slow
def test_reconstructions_of_the_ring_improve_over_the_first_steps(tmp_path):
  config = _ring_vaegan()
  points = next(input_pipeline.ring8_batches(512, seed=99))['image']

  def error(model):
    return float(np.mean(np.sum((model.reconstruct(points) - points) ** 2, axis=1)))

  before = error(api.InfoGAN(games.create_train_state(config, jax.random.key(0)),
                             config, 0))
  loop.train(config, str(tmp_path / 'run'))
  model = api.load(str(tmp_path / 'run'))
  after = error(model)
  print('squared reconstruction error of ring points: before', before, 'after', after)
  # measured: 1.30 at initialisation, 0.018 after 100 steps (the ring's points are ~1 apart)
  assert after < 0.1 * before and after < 0.1
  assert model.encode(points).shape == (512, 2)
  mean, std = model.encode(points[:5], return_std=True)
  assert mean.shape == std.shape == (5, 2) and np.all(std > 0)


@pytest.mark.slow
def test_encode_reconstruct_and_eval_of_a_run_with_an_encoder(tmp_path, trained_tiny):
  config = _small(vaegan.get_config())
  config.num_train_steps = 2
  config.eval.classifier_dir = str(tmp_path / 'classifier')
  config.eval.num_samples = 64
  workdir = str(tmp_path / 'vaegan')
  with tfds.testing.mock_data(num_examples=64):
    loop.train(config, workdir)
    model = api.load(workdir)
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), np.uint8)
    assert model.encode(images).shape == (3, 8)
    assert model.reconstruct(images).shape == (3, 28, 28, 1)
    with pytest.raises(errors.InputError, match=r'no encoder \(config.vae.encoder=False\)'):
      api.load(trained_tiny).encode(images)

    classifier.train(config, epochs=1, batch_size=16)
    metrics = evaluation.run(config, workdir)
  assert 0 <= metrics['reconstruction_label_accuracy'] <= 1
  assert metrics['frechet_distance_reconstructions'] >= 0
  assert 0 < metrics['reconstruction_pixel_mse'] < 1
  assert metrics['reconstruction_feature_error'] > 0
  out = workdir_lib.eval_dir(workdir, 2)
  for name in ('reconstructions.png', 'encoding_interpolation.png', 'report.md'):
    assert os.path.getsize(os.path.join(out, name)) > 0, name
  with open(os.path.join(out, 'report.md')) as f:
    assert 'Reconstructions of real test images' in f.read()


@pytest.mark.parametrize('change, message', [
    (lambda c: setattr(c.latent, 'categorical', (10,)), "encodes the generator's noise only"),
    (lambda c: setattr(c.latent, 'noise_prior', 'uniform'), "noise_prior='normal'"),
    (lambda c: setattr(c.objective, 'critic_steps', 5), 'one D step per G step'),
    (lambda c: setattr(c.objective, 'adversarial', 'none'), "use 'pixels'"),
    (lambda c: setattr(c.vae, 'reconstruction', 'voxels'),
     "config.vae.reconstruction must be one of \\('features', 'pixels'\\)"),
    (lambda c: setattr(c.vae, 'encoder', False) or setattr(c.objective, 'adversarial', 'none'),
     'leaves G nothing to learn without an encoder'),
])
def test_config_mistakes_are_named(change, message):
  config = vaegan.get_config()
  change(config)
  with pytest.raises(errors.ConfigError, match=message):
    config_validation.validate(config, num_devices=1, num_processes=1)
  for module in (vaegan, vae):
    config_validation.validate(module.get_config(), num_devices=1, num_processes=1)
