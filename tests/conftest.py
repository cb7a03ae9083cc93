import os
import shutil
import tempfile

import jax
import pytest

from configs import ring8

# One persistent XLA compilation cache per test session, shared with the subprocesses the
# tests start (train.py runs, the kill test, the two-process run) and with pytest-xdist's
# workers (`-n 2` in pyproject.toml): they compile the same programs again and again.
# Fresh per session, so the suite's time is a cold start's. The process that made the
# directory (the xdist controller, or pytest alone) removes it at the end.
_CACHE_ENV = 'INFOGAN_JAX_TEST_XLA_CACHE'
_CACHE_DIR = os.environ.get(_CACHE_ENV) if os.environ.get('PYTEST_XDIST_WORKER') else None
_OWNS_CACHE = _CACHE_DIR is None
if _OWNS_CACHE:
  _CACHE_DIR = tempfile.mkdtemp(prefix='infogan-jax-xla-cache-')
  os.environ[_CACHE_ENV] = _CACHE_DIR
_CACHE_SETTINGS = {'jax_compilation_cache_dir': _CACHE_DIR,
                   'jax_persistent_cache_min_compile_time_secs': 0,
                   'jax_persistent_cache_min_entry_size_bytes': -1}
for _name, _value in _CACHE_SETTINGS.items():
  os.environ[_name.upper()] = str(_value)
  jax.config.update(_name, _value)


# XLA's CPU backend without LLVM's optimisation passes, for this process and the ones it
# starts. Compiling is most of the suite's time, and threefry random-number kernels are the
# worst case: jax.random.normal of 320 numbers compiled in 1.7 s optimised, 0.17 s not.
# Same semantics, so the tests check the same behaviour; unoptimised code runs slower,
# but the tests' programs are tiny. Training, CI's smoke run and the benchmark keep the
# default level.
FAST_COMPILE_FLAG = '--xla_backend_optimization_level=0'
os.environ['XLA_FLAGS'] = f"{os.environ.get('XLA_FLAGS', '')} {FAST_COMPILE_FLAG}".strip()


def pytest_sessionfinish(session, exitstatus):
  if _OWNS_CACHE:
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)


# Under pytest-xdist, the tests sharing a trained run (the session fixtures below) go to
# one worker, so that each run is trained once, not once per worker.
_SHARED_RUNS = {'trained_ring8', 'ring8_run', 'trained_tiny', '_trained_tiny_once'}
_SHARED_CYCLEGAN_RUN = {'cyclegan_run', '_cyclegan_run_once'}   # a worker of its own


def pytest_collection_modifyitems(config, items):
  for item in items:
    fixtures = set(getattr(item, 'fixturenames', ()))
    if _SHARED_RUNS & fixtures:
      item.add_marker(pytest.mark.xdist_group('trained_runs'))
    elif _SHARED_CYCLEGAN_RUN & fixtures:
      item.add_marker(pytest.mark.xdist_group('cyclegan_run'))


@pytest.fixture(scope='session')
def trained_ring8(tmp_path_factory):
  """(workdir, final TrainState) of a full configs/ring8.py run, shared by tests."""
  from infogan_jax.training import loop
  workdir = str(tmp_path_factory.mktemp('ring8'))
  state = loop.train(ring8.get_config(), workdir)
  return workdir, state


@pytest.fixture(scope='session')
def ring8_run(tmp_path_factory):
  """(workdir, final TrainState) of configs/ring8.py trained for 10 steps: a 2-D run for
  tests that read one, not what it learned (that is trained_ring8's, under -m slow)."""
  from infogan_jax.training import loop
  config = ring8.get_config()
  config.num_train_steps, config.log_every_steps = 10, 5
  workdir = str(tmp_path_factory.mktemp('ring8_run'))
  return workdir, loop.train(config, workdir)


@pytest.fixture(scope='session')
def _trained_tiny_once(tmp_path_factory):
  import tensorflow_datasets as tfds

  from configs import tiny
  from infogan_jax.training import loop
  workdir = str(tmp_path_factory.mktemp('tiny') / 'run')
  with tfds.testing.mock_data(num_examples=64):
    loop.train(tiny.get_config(), workdir)
  return workdir


@pytest.fixture
def trained_tiny(_trained_tiny_once, tmp_path):
  """A copy (the test may write into it) of a workdir of configs/tiny.py trained for its 4
  steps on mock MNIST."""
  workdir = str(tmp_path / 'trained_tiny')
  shutil.copytree(_trained_tiny_once, workdir)
  return workdir


def write_idx(path, array):
  """An IDX file of unsigned bytes, gzipped (the format of the MNIST archives)."""
  import gzip
  import numpy as np
  array = np.asarray(array, np.uint8)
  header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, '>u4').tobytes()
  with gzip.open(path, 'wb') as f:
    f.write(header + array.tobytes())


@pytest.fixture(scope='session')
def mock_mnist_archives(tmp_path_factory):
  """(folder, sha256 sums) of the four MNIST archives holding exactly tfds's mock MNIST
  (`tfds.testing.mock_data(num_examples=64)`), read through the tfds route."""
  import hashlib
  import tensorflow_datasets as tfds

  from configs import tiny
  from infogan_jax.data import input_pipeline
  from infogan_jax.data import mnist_files
  folder = tmp_path_factory.mktemp('mnist_archives')
  config = tiny.get_config()
  config.data_reader = 'tfds'
  data = input_pipeline.DataSettings.from_config(config)
  with tfds.testing.mock_data(num_examples=64):
    for split, (image_file, label_file) in mnist_files.FILES.items():
      images, labels = input_pipeline.load_split_uint8(data, split)
      write_idx(folder / image_file, images[..., 0])
      write_idx(folder / label_file, labels)
  sums = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
          for name in mnist_files.SHA256}
  return str(folder), sums


@pytest.fixture(scope='session')
def small_printed_digits():
  """The printed digits (CycleGAN's second domain) at 256 training and 64 test images, for
  the length of the session's tests that use them (its full splits take seconds to make)."""
  from infogan_jax.data import printed_digits
  with pytest.MonkeyPatch.context() as patch:
    patch.setattr(printed_digits, 'SPLIT_SIZES', {'train': 256, 'test': 64})
    printed_digits.dataset.cache_clear()
    yield
  printed_digits.dataset.cache_clear()


def cyclegan_test_config(manual_dir):
  """configs/tiny.py's CycleGAN on the mock MNIST archives and the small printed digits."""
  from configs import tiny
  config = tiny.cyclegan_config()
  config.data_reader, config.manual_dir = 'archives', manual_dir
  config.eval.num_samples = 64
  return config


@pytest.fixture(scope='session')
def _cyclegan_run_once(tmp_path_factory, mock_mnist_archives, small_printed_digits):
  from infogan_jax.data import mnist_files
  from infogan_jax.training import loop
  folder, sums = mock_mnist_archives
  workdir = str(tmp_path_factory.mktemp('cyclegan') / 'run')
  with pytest.MonkeyPatch.context() as patch:
    patch.setattr(mnist_files, 'SHA256', sums)
    loop.train(cyclegan_test_config(folder), workdir)
  return workdir


@pytest.fixture
def cyclegan_run(_cyclegan_run_once, mock_mnist_archives, small_printed_digits, tmp_path,
                 monkeypatch):
  """(a copy of a workdir of the tiny CycleGAN trained for 4 steps, its config); the mock
  MNIST archives' checksums stay accepted for the test."""
  from infogan_jax.data import mnist_files
  folder, sums = mock_mnist_archives
  monkeypatch.setattr(mnist_files, 'SHA256', sums)
  workdir = str(tmp_path / 'cyclegan_run')
  shutil.copytree(_cyclegan_run_once, workdir)
  return workdir, cyclegan_test_config(folder)
