"""train.py's entry point on the tiny config (mock MNIST): checkpoints, samples, resume."""
import json
import os
import subprocess
import sys

import jax
import numpy as np
import tensorflow_datasets as tfds
from absl import flags

import train
from configs import tiny
from infogan_jax.training import checkpointing
from infogan_jax.training import loop
from infogan_jax import games


def _run_cli(workdir, **overrides):
  """train.py's main() after flag parsing, as `python train.py --config=configs/tiny.py`."""
  flags.FLAGS.unparse_flags()
  flags.FLAGS(['train.py', '--config=configs/tiny.py', f'--workdir={workdir}'])
  for field, value in overrides.items():  # what --config.<field>=value does
    setattr(flags.FLAGS.config, field, value)
  with tfds.testing.mock_data(num_examples=64):
    train.main(['train.py'])


def _restore(workdir, step=None):
  state = games.create_train_state(tiny.get_config(), jax.random.key(0))
  mngr = checkpointing.manager(workdir, create=False)
  try:
    return checkpointing.restore(mngr, state, step), mngr.all_steps()
  finally:
    mngr.close()


def test_train_writes_checkpoint_logs_samples_then_resumes(tmp_path):
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  os.chdir(root)
  workdir = str(tmp_path / 'run')
  _run_cli(workdir)
  state, steps = _restore(workdir)
  assert int(state.step) == 4 and steps == [2, 4]
  assert os.path.exists(os.path.join(workdir, 'samples', 'step_0000004.png'))
  assert os.listdir(os.path.join(workdir, 'tensorboard'))
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    records = [json.loads(l) for l in f]
  assert [r['step'] for r in records] == [2, 4]
  assert {'d_loss', 'g_loss', 'mi/cat0', 'mi/cat1', 'mi/cont', 'steps_per_sec'} <= set(records[0])

  # Same command, longer run: resumes at step 4 instead of starting over.
  _run_cli(workdir, num_train_steps=6)
  state, steps = _restore(workdir)
  assert int(state.step) == 6 and steps == [4, 6]
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    assert [json.loads(l)['step'] for l in f] == [2, 4, 6]


def test_resumed_run_equals_uninterrupted_run(tmp_path):
  cfg = tiny.get_config()
  cfg.num_train_steps = 6
  cfg.sample_every_steps = 0
  with tfds.testing.mock_data(num_examples=64):
    straight = loop.train(cfg, str(tmp_path / 'straight'))
    cfg.num_train_steps = 3
    loop.train(cfg, str(tmp_path / 'resumed'))
    cfg.num_train_steps = 6
    resumed = loop.train(cfg, str(tmp_path / 'resumed'))
  # CPU, fp32, same XLA program and inputs: bitwise equal.
  jax.tree.map(np.testing.assert_array_equal, straight.variables(), resumed.variables())


def _cli(*args):
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  return subprocess.run([sys.executable, 'train.py', '--config=configs/tiny.py', *args],
                        cwd=root, capture_output=True, text=True, timeout=300)


def test_cli_overrides_are_checked(tmp_path):
  typo = _cli(f'--workdir={tmp_path}', '--config.batch_sise=3')
  assert typo.returncode != 0 and 'batch_sise' in typo.stderr
  bad = _cli(f'--workdir={tmp_path}', '--config.batch_size=-4')
  assert bad.returncode != 0
  assert 'config.batch_size must be an integer > 0, got -4' in bad.stderr
  assert 'Traceback' not in bad.stderr
