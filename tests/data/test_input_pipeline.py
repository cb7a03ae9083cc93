import numpy as np
import pytest
import tensorflow_datasets as tfds

from configs import tiny
from infogan_jax import errors
from infogan_jax.data import input_pipeline


@pytest.mark.parametrize('activation, lo, hi', [('tanh', -1, 1), ('sigmoid', 0, 1)])
def test_mnist_batches_under_mock_data(activation, lo, hi):
  cfg = tiny.get_config()
  cfg.model.output_activation = activation
  data = input_pipeline.DataSettings.from_config(cfg)
  with tfds.testing.mock_data(num_examples=40):
    it = input_pipeline.create_dataset(data, batch_size=8, seed=0)
    batches = [next(it) for _ in range(6)]  # more than 40/8: the split repeats
  for b in batches:
    assert b['image'].shape == (8, 28, 28, 1) and b['image'].dtype == np.float32
    assert b['label'].shape == (8,)
    assert b['image'].min() >= lo and b['image'].max() <= hi


def test_mnist_stream_is_deterministic_and_skippable():
  data = input_pipeline.DataSettings.from_config(tiny.get_config())
  with tfds.testing.mock_data(num_examples=40):
    a = input_pipeline.create_dataset(data, batch_size=8, seed=3)
    full = [next(a)['image'] for _ in range(4)]
    b = input_pipeline.create_dataset(data, batch_size=8, seed=3, skip_batches=2)
    resumed = [next(b)['image'] for _ in range(2)]
  np.testing.assert_array_equal(full[2], resumed[0])
  np.testing.assert_array_equal(full[3], resumed[1])


def test_ring8_is_deterministic_and_on_the_ring():
  a = input_pipeline.ring8_batches(64, seed=1)
  first = [next(a) for _ in range(3)]
  b = next(input_pipeline.ring8_batches(64, seed=1, start=2))
  np.testing.assert_array_equal(first[2]['image'], b['image'])
  radius = np.linalg.norm(first[0]['image'], axis=1)
  assert np.all(np.abs(radius - 1) < 0.3)


def test_unknown_dataset_is_named():
  # (A batch size <= 0 is refused by config validation: test_reliability.BAD_CONFIGS.)
  cfg = tiny.get_config()
  cfg.dataset = 'cifar'
  with pytest.raises(ValueError, match='config.dataset'):
    input_pipeline.create_dataset(input_pipeline.DataSettings.from_config(cfg), 8)


def test_missing_data_offline_says_how_to_provide_it(tmp_path):
  cfg = tiny.get_config()
  cfg.data_dir = str(tmp_path / 'tfds')
  cfg.manual_dir = str(tmp_path / 'nowhere')
  with pytest.raises(errors.DatasetUnavailableError, match='config.manual_dir'):
    input_pipeline.create_dataset(input_pipeline.DataSettings.from_config(cfg), 8)
