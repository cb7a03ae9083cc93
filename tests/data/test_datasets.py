"""The paper's SVHN and CelebA configs end to end on tfds.testing.mock_data (the real data
cannot be downloaded here): the networks of its Appendix C, a few steps, a checkpoint,
sample grids, and eval.py's samples."""
import os

import jax
import numpy as np
import pytest
import tensorflow_datasets as tfds

from configs import celeba, svhn, tiny
from infogan_jax.settings import config_validation
from infogan_jax import errors
from infogan_jax.evaluation import report as evaluation
from infogan_jax.data import input_pipeline
from infogan_jax.networks import latents
from infogan_jax.training import loop
from infogan_jax.networks import models
from infogan_jax.training import workdir as workdir_lib
from infogan_jax import games


def _short(config):
  """The paper's networks on tiny's seconds-long run, 2 steps."""
  config = tiny.short_run(config)
  config.num_train_steps = 2
  config.eval.num_samples = 16
  return config


@pytest.mark.slow
@pytest.mark.parametrize('get_config', [svhn.get_config, celeba.get_config],
                         ids=['svhn', 'celeba'])
def test_config_trains_checkpoints_and_samples_on_mock_data(get_config, tmp_path):
  config = _short(get_config())
  workdir = str(tmp_path / config.dataset)
  with tfds.testing.mock_data(num_examples=32):
    state = loop.train(config, workdir)
    evaluation.run(config, workdir, samples_only=True)
  assert int(state.step) == 2
  assert os.path.exists(os.path.join(workdir_lib.checkpoint_dir(workdir), '2'))
  assert os.path.exists(workdir_lib.sample_path(workdir, 2))
  images = games.generate(state, state.spec.sample(jax.random.key(0), 4))
  assert images.shape == (4, 32, 32, 3)   # the paper's 32x32 colour images
  assert np.isfinite(np.asarray(images)).all()
  eval_files = os.listdir(workdir_lib.eval_dir(workdir, 2))
  assert any(name.endswith('.png') for name in eval_files)


@pytest.mark.parametrize('dataset', ['svhn', 'celeba'])
def test_batches_are_32x32_colour_in_the_generator_range(dataset):
  config = _short(svhn.get_config() if dataset == 'svhn' else celeba.get_config())
  with tfds.testing.mock_data(num_examples=16):
    batch = next(input_pipeline.create_dataset(input_pipeline.DataSettings.from_config(config), 4))
  assert batch['image'].shape == (4, 32, 32, 3) and batch['label'].shape == (4,)
  assert batch['image'].min() >= -1.0 and batch['image'].max() <= 1.0
  if dataset == 'celeba':   # no single label: all 0
    assert (batch['label'] == 0).all()


@pytest.mark.slow
def test_paper_networks_have_the_appendix_shapes():
  config = config_validation.validate(svhn.get_config(), num_processes=1, num_devices=1)
  spec = latents.LatentSpec.from_config(config.latent)
  assert spec.input_dim == 124 + 4 * 10 + 4
  generator, discriminator = models.build_models(config, spec, (32, 32, 3))
  g_vars = generator.init(jax.random.key(0), np.zeros((2, spec.input_dim)), train=False)
  assert g_vars['params']['Dense_0']['kernel'].shape == (168, 2 * 2 * 448)
  d_vars = discriminator.init(jax.random.key(0), np.zeros((2, 32, 32, 3)), train=False)
  # D's head reads the last 4x4x256 map directly (no hidden FC layer).
  assert d_vars['params']['d_head']['kernel'].shape == (4 * 4 * 256, 1)


def test_bad_dataset_settings_are_named():
  config = svhn.get_config()
  config.data_reader = 'archives'
  with pytest.raises(errors.ConfigError, match="data_reader='archives' reads the MNIST"):
    config_validation.validate(config, num_processes=1, num_devices=1)
  config = svhn.get_config()
  config.model.g_widths = (448, 256, 128, 64, 32, 16)   # 64x up-sampling for 32x32 images
  with pytest.raises(errors.ConfigError, match='image sides divisible by 64'):
    config_validation.validate(config, num_processes=1, num_devices=1)
  config = celeba.get_config()
  config.semi_supervised.labels_per_class = 10
  config.latent.guided_code = 0
  with pytest.raises(errors.ConfigError, match="needs labels; config.dataset='celeba'"):
    config_validation.validate(config, num_processes=1, num_devices=1)


def test_offline_without_prepared_data_names_the_way_to_prepare_it(tmp_path, monkeypatch):
  """SVHN not prepared in config.data_dir and no network: one error naming `tfds build` and
  config.data_dir, raised before any training work (TFDS would retry for minutes)."""
  config = svhn.get_config()
  config.data_dir = str(tmp_path / 'tfds')
  calls = []

  def offline_load(name, download=True, **kwargs):
    calls.append((name, download))
    if not download:
      raise AssertionError('Dataset svhn_cropped: could not find data in ' + config.data_dir)
    raise ConnectionError('Failed to establish a new connection')

  monkeypatch.setattr(tfds, 'load', offline_load)
  with pytest.raises(errors.DatasetUnavailableError) as raised:
    input_pipeline.check_available(input_pipeline.DataSettings.from_config(config))
  message = str(raised.value)
  assert calls == [('svhn_cropped', False), ('svhn_cropped', True)]
  assert 'tfds build svhn_cropped' in message and 'config.data_dir' in message
  assert config.data_dir in message and 'ConnectionError' in message
