import pytest

from configs import ring8


@pytest.fixture(scope='session')
def trained_ring8(tmp_path_factory):
  """(workdir, final TrainState) of a full configs/ring8.py run, shared by tests."""
  from infogan_jax import trainer
  workdir = str(tmp_path_factory.mktemp('ring8'))
  state = trainer.train_and_evaluate(ring8.get_config(), workdir)
  return workdir, state
