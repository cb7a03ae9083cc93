"""MNIST without TensorFlow: the archive reader (infogan_jax/data/mnist_files.py) gives what
the tensorflow-datasets route gives, checks the files, and names what is wrong."""
import gzip
import os
import shutil

import numpy as np
import pytest
import tensorflow_datasets as tfds

from configs import tiny
from conftest import write_idx
from infogan_jax import errors
from infogan_jax.data import input_pipeline
from infogan_jax.data import mnist_files


def test_idx_round_trip(tmp_path):
  array = np.random.default_rng(0).integers(0, 256, (5, 3, 4), dtype=np.uint8)
  write_idx(tmp_path / 'a.gz', array)
  np.testing.assert_array_equal(mnist_files.read_idx(str(tmp_path / 'a.gz')), array)


@pytest.mark.parametrize('split', ['train', 'test'])
def test_archives_and_tfds_give_identical_arrays(mock_mnist_archives, monkeypatch, split):
  folder, sums = mock_mnist_archives
  monkeypatch.setattr(mnist_files, 'SHA256', sums)
  via_tfds, via_archives = tiny.get_config(), tiny.get_config()
  via_tfds.data_reader = 'tfds'
  via_archives.data_reader, via_archives.manual_dir = 'archives', folder
  via_tfds, via_archives = (input_pipeline.DataSettings.from_config(c)
                            for c in (via_tfds, via_archives))
  with tfds.testing.mock_data(num_examples=64):
    expected = input_pipeline.load_split_arrays(via_tfds, split)
  got = input_pipeline.load_split_arrays(via_archives, split)
  assert got[0].shape == (64, 28, 28, 1) and got[0].dtype == np.float32
  for a, b in zip(got, expected):
    np.testing.assert_array_equal(a, b)


def test_checksums_and_missing_files_are_named(mock_mnist_archives, tmp_path):
  folder, sums = mock_mnist_archives
  # The test's own small files are not the real archives: refused by TFDS's checksums.
  with pytest.raises(errors.DatasetUnavailableError, match='sha256 checksum TFDS registers'):
    mnist_files.load(folder, 'test')
  os.makedirs(tmp_path / 'partial')
  shutil.copy(os.path.join(folder, 't10k-images-idx3-ubyte.gz'), tmp_path / 'partial')
  with pytest.raises(errors.DatasetUnavailableError, match='t10k-labels-idx1-ubyte.gz not found'):
    mnist_files.load(str(tmp_path / 'partial'), 'test', checksums=sums)
  with open(tmp_path / 'partial' / 't10k-labels-idx1-ubyte.gz', 'wb') as f:
    f.write(gzip.compress(b'\x00\x00\x08\x01\x00\x00\x00\x09' + bytes(3)))   # 9 announced
  with pytest.raises(errors.DatasetUnavailableError, match='announces'):
    mnist_files.load(str(tmp_path / 'partial'), 'test', checksums={})


def test_archives_are_found_where_tfds_looks(monkeypatch, tmp_path):
  assert mnist_files.folder('', str(tmp_path / 'tfds')) == str(
      tmp_path / 'tfds' / 'downloads' / 'manual')
  monkeypatch.setenv('TFDS_DATA_DIR', str(tmp_path / 'env'))
  assert mnist_files.folder('', '') == str(tmp_path / 'env' / 'downloads' / 'manual')
  assert mnist_files.folder(str(tmp_path / 'mine'), '') == str(tmp_path / 'mine')


def test_tfds_data_dir_with_archives_in_its_manual_folder_is_used_offline(
    mock_mnist_archives, monkeypatch, tmp_path):
  # TFDS prepares from <data_dir>/downloads/manual without --config.manual_dir: offline,
  # that is not refused as "cannot be downloaded"; TFDS itself checks the files (the
  # test's own small files fail its checksums, the real archives pass).
  folder, _ = mock_mnist_archives
  monkeypatch.setattr(input_pipeline, '_can_reach', lambda *a, **k: False)
  config = tiny.get_config()
  config.data_reader, config.manual_dir = 'tfds', ''
  config.data_dir = str(tmp_path / 'tfds')
  data = input_pipeline.DataSettings.from_config(config)
  with pytest.raises(errors.DatasetUnavailableError, match='is not prepared in'):
    input_pipeline.check_available(data)   # nothing there yet: offline refusal
  shutil.copytree(folder, tmp_path / 'tfds' / 'downloads' / 'manual')
  with pytest.raises(errors.DatasetUnavailableError) as e:
    input_pipeline.check_available(data)
  assert 'Could not load MNIST through tensorflow-datasets' in str(e.value)
  assert 'is not prepared in' not in str(e.value)
