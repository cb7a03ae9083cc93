import os
import shutil
import tempfile

import jax
import pytest

from configs import ring8

# One persistent XLA compilation cache per test session, shared with the subprocesses the
# tests start (train.py runs, the kill test, the two-process run): they compile the same
# programs again and again. Fresh per session, so the suite's time is a cold start's.
_CACHE_DIR = tempfile.mkdtemp(prefix='infogan-jax-xla-cache-')
_CACHE_SETTINGS = {'jax_compilation_cache_dir': _CACHE_DIR,
                   'jax_persistent_cache_min_compile_time_secs': 0,
                   'jax_persistent_cache_min_entry_size_bytes': -1}
for _name, _value in _CACHE_SETTINGS.items():
  os.environ[_name.upper()] = str(_value)
  jax.config.update(_name, _value)


def pytest_sessionfinish(session, exitstatus):
  shutil.rmtree(_CACHE_DIR, ignore_errors=True)


@pytest.fixture(scope='session')
def trained_ring8(tmp_path_factory):
  """(workdir, final TrainState) of a full configs/ring8.py run, shared by tests."""
  from infogan_jax import trainer
  workdir = str(tmp_path_factory.mktemp('ring8'))
  state = trainer.train_and_evaluate(ring8.get_config(), workdir)
  return workdir, state
