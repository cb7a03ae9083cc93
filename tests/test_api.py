"""infogan_jax.load and api.InfoGAN, as evaluation uses them: restoring a run, refusing a
config of another model, and checking generate's and infer's arguments by name."""
import os
import shutil

import jax
import numpy as np
import pytest

from configs import tiny
from infogan_jax import api
from infogan_jax import errors


@pytest.mark.slow
def test_api_round_trip_recovers_codes_of_a_trained_model(trained_ring8):
  workdir, _ = trained_ring8
  model = api.load(workdir)
  cat = np.repeat(np.arange(8), 50)
  points = model.generate(jax.random.key(5), cat=cat)
  assert points.shape == (400, 2)
  posterior = model.infer(points)
  recovered = posterior['cat_probs'][0].argmax(1)
  assert np.mean(recovered == cat) > 0.9   # chance is 1/8
  assert posterior['d_prob'].shape == (400,)


def test_a_config_of_another_model_is_refused_for_evaluation(trained_tiny):
  # The command line's config must build the model the run trained (not just arrays of
  # the same shapes): output activation, slope and noise prior change nothing's shape.
  config = tiny.get_config()
  config.model.output_activation, config.model.leaky_slope = 'sigmoid', 0.01
  config.latent.noise_prior = 'normal'
  with pytest.raises(errors.EvaluationError) as e:
    api.load(trained_tiny, config)
  for field in ('model.output_activation', 'model.leaky_slope', 'latent.noise_prior'):
    assert f'config.{field}' in str(e.value)
  # Run length, evaluation and data settings may differ; the seed too.
  config = tiny.get_config()
  config.num_train_steps, config.eval.num_samples, config.seed = 99, 5, 3
  config.data_dir = '/elsewhere'
  assert api.load(trained_tiny, config).step == 4


def test_public_api_checks_its_arguments_by_name(trained_tiny):
  model = api.load(trained_tiny)   # Cat(3), Cat(2), one continuous code, 8 noise dims
  key = jax.random.key(0)
  bad = [
      (dict(n=2, cat=[3, 0]), 'categorical code 0 has 3 categories (0..2), got 3'),
      (dict(cat=[-1]), 'got -1'),
      (dict(cat=[0.7]), 'cat must hold integer category indices'),
      (dict(cat=np.zeros((2, 3), int)), 'j <= 2 categorical codes, got [2, 3]'),
      (dict(cont=[np.nan]), 'cont holds NaN or Inf'),
      (dict(n=2, cont=np.zeros((2, 2))), 'cont must have shape [n, 1] = [2, 1]'),
      (dict(noise=np.zeros((1, 5))), 'noise must have shape [n, 8] = [1, 8]'),
      (dict(n=0), 'n must be an integer >= 1, got 0'),
      (dict(n=-3), 'n must be an integer >= 1, got -3'),
      (dict(cat=[]), 'n must be an integer >= 1, got 0'),
      (dict(), 'needs n'),
  ]
  for kwargs, expected in bad:
    with pytest.raises(errors.InputError) as e:
      model.generate(key, **kwargs)
    assert expected in str(e.value), (kwargs, str(e.value))
  # Integral floats and ranges are fine; one code given, the other sampled.
  assert model.generate(key, cat=np.array([2.0, 1.0]), cont=[[1.5], [-2.0]]).shape == (
      2, 28, 28, 1)
  assert model.generate(key, cat=range(3)).shape == (3, 28, 28, 1)

  images = model.generate(key, n=4)                  # tanh: in [-1, 1]
  for images_bad, expected in [
      (np.zeros((2, 32, 32, 1)), 'images must have shape [N, 28, 28, 1]'),
      (np.zeros((2, 28, 28, 3)), 'got [2, 28, 28, 3]'),
      (np.zeros((28, 28, 1)), 'one image needs a batch axis'),
      (np.zeros((0, 28, 28, 1)), 'the number of images must be an integer >= 1'),
      (images * 255.0, "floats in [-1, 1] (the generator's range"),
      (np.full((1, 28, 28, 1), np.nan), 'NaN or Inf'),
  ]:
    with pytest.raises(errors.InputError) as e:
      model.infer(images_bad)
    assert expected in str(e.value), str(e.value)
  # uint8 pixels are converted to the generator's range; [N, H, W] gets its channel.
  pixels = np.round((images + 1) * 127.5).astype(np.uint8)
  as_uint8, as_floats = model.infer(pixels[..., 0]), model.infer(images)
  np.testing.assert_allclose(as_uint8['d_prob'], as_floats['d_prob'], atol=0.02)
  with pytest.raises(errors.InputError, match='batch_size must be an integer >= 1'):
    model.infer(images, batch_size=0)


def test_load_says_how_to_describe_a_run_without_config_json(trained_tiny):
  os.remove(os.path.join(trained_tiny, 'config.json'))
  with pytest.raises(errors.EvaluationError, match=r'load\(workdir, config=\.\.\.\)'):
    api.load(trained_tiny)
  assert api.load(trained_tiny, tiny.get_config()).step == 4


def test_load_refuses_a_checkpoint_that_fails_its_integrity_check(trained_tiny):
  os.remove(os.path.join(trained_tiny, 'checkpoints', '4', '_CHECKPOINT_METADATA'))
  with pytest.raises(errors.EvaluationError, match='CRC-32 checksums .* is missing'):
    api.load(trained_tiny)


def test_load_rereads_the_latest_checkpoint_when_a_trainer_rotates_it_away(trained_tiny,
                                                                            monkeypatch):
  from infogan_jax.training import checkpointing
  directory = os.path.join(trained_tiny, 'checkpoints')
  shutil.copytree(os.path.join(directory, '4'), os.path.join(directory, '6'))
  real, asked = checkpointing.restore, []

  def restore(mngr, state, step=None):
    asked.append(step)
    if step == 6:   # a trainer with keep_checkpoints deletes it while we read it
      shutil.rmtree(os.path.join(directory, '6'))
      raise errors.CheckpointError('checkpoint .../6 cannot be used: No such file')
    return real(mngr, state, step)
  monkeypatch.setattr(checkpointing, 'restore', restore)
  assert api.load(trained_tiny).step == 4 and asked == [6, 4]


def test_rng_latents_and_load_arguments_are_checked_by_name(trained_tiny, tmp_path):
  model = api.load(trained_tiny)
  # rng: a JAX key (typed or raw), or an integer seed standing for jax.random.key(seed).
  expected = model.generate(jax.random.key(3), n=2)
  np.testing.assert_array_equal(model.generate(rng=3, n=2), expected)
  np.testing.assert_array_equal(model.generate(jax.random.PRNGKey(3), n=2), expected)
  for rng in ('abc', np.zeros(3), 1.5, True, -1, jax.random.split(jax.random.key(0))):
    with pytest.raises(errors.InputError, match='rng must be a JAX key'):
      model.generate(rng=rng, n=2)
  # latents: a Latents, or the same three arrays as a plain tuple.
  latents = model.latents(jax.random.key(0), 2)
  np.testing.assert_array_equal(model.generate(latents=tuple(latents)),
                                model.generate(latents=latents))
  for bad in ((1, 2), 'noise', np.zeros((2, 8))):
    with pytest.raises(errors.InputError, match=r'latents must be a Latents \(noise, cat, '):
      model.generate(latents=bad)
  # load: the workdir must be a folder; a config a ConfigDict (or a dict of one).
  a_file = tmp_path / 'a_file'
  a_file.write_text('')
  for workdir, message in [(str(tmp_path / 'nope'), 'does not exist'),
                           (str(a_file), 'is a file, not a folder'),
                           (None, 'workdir must be the path'), (3, 'workdir must be the path')]:
    with pytest.raises(errors.InputError, match=message):
      api.load(workdir)
  with pytest.raises(errors.InputError, match='config must be an ml_collections.ConfigDict'):
    api.load(trained_tiny, config=['tiny'])
  assert api.load(trained_tiny, config=tiny.get_config().to_dict()).step == 4


def test_generate_refuses_more_than_one_call_may_return_and_says_how(trained_tiny,
                                                                      monkeypatch):
  from infogan_jax import games
  model = api.load(trained_tiny)
  most = api.MAX_GENERATE_BYTES // (4 * 28 * 28)
  monkeypatch.setattr(games, 'generate', lambda *a: pytest.fail('it started generating'))
  for n in (10**7, most + 1):
    with pytest.raises(errors.InputError) as e:
      model.generate(n=n)
    print(e.value)
    assert f'generate(n={n})' in str(e.value) and f'at most {most} images' in str(e.value)
    assert 'in parts' in str(e.value)
