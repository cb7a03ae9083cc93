"""MNIST kept on the device (infogan_jax/data/device_data.py) and several steps per call
(config.steps_per_dispatch): the stream is a function of (seed, step), the same whatever
the number of devices, and k steps per call give the parameters of one step per call."""
import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow_datasets as tfds

from configs import tiny
from infogan_jax.training import checkpointing
from infogan_jax.data import device_data
from infogan_jax.training import loop
from infogan_jax.training import parallel
from infogan_jax import games
from infogan_jax.training import workdir as workdir_lib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _indices(seed, step, batch_size, num_examples, start=0, rows=None):
  first = device_data.first_epoch(step, batch_size, num_examples)
  orders = device_data.epoch_permutations(
      seed, first, device_data.epochs_spanned(1, batch_size, num_examples), num_examples)
  return np.asarray(device_data.indices(orders, first, step, batch_size, start, rows))


def test_every_epoch_is_a_permutation_and_batches_are_rows_of_it():
  n, b = 50, 8
  steps = [_indices(3, s, b, n) for s in range(25)]   # 4 epochs
  stream = np.concatenate(steps)
  for e in range(4):
    assert sorted(stream[e * n:(e + 1) * n]) == list(range(n))
  assert not np.array_equal(stream[:n], stream[n:2 * n])        # a new order each epoch
  np.testing.assert_array_equal(_indices(3, 7, b, n), steps[7])  # a function of (seed, step)
  assert not np.array_equal(_indices(4, 7, b, n), steps[7])
  # Device d's rows are its slice of the global batch: any device count, the same batch.
  parts = [_indices(3, 7, b, n, start=d * 2, rows=2) for d in range(4)]
  np.testing.assert_array_equal(np.concatenate(parts), steps[7])
  # The orders of a call covering several steps serve each of its steps.
  orders = device_data.EpochOrders(3, b, n, steps_per_call=10)
  first, epoch_orders = orders.for_steps(5)
  for s in range(5, 15):
    np.testing.assert_array_equal(device_data.indices(epoch_orders, first, s, b), steps[s])


def test_batches_are_scaled_like_the_host_pipeline():
  images = np.arange(256, dtype=np.uint8).reshape(256, 1, 1, 1)
  orders = device_data.epoch_permutations(0, 0, 2, 256)
  for activation, (lo, hi) in (('tanh', (-1, 1)), ('sigmoid', (0, 1))):
    batch = np.asarray(device_data.batch(images, orders, 0, 0, 256, activation))
    assert batch.min() == lo and batch.max() == hi and batch.dtype == np.float32


def _device_config(**overrides):
  cfg = tiny.get_config()
  cfg.data_reader, cfg.data_placement = 'tfds', 'device'
  cfg.num_train_steps, cfg.log_every_steps, cfg.checkpoint_every_steps = 6, 3, 6
  cfg.sample_every_steps = 0
  for field, value in overrides.items():
    setattr(cfg, field, value)
  return cfg


def _restored(workdir, cfg):
  mngr = checkpointing.manager(workdir, create=False)
  try:
    return checkpointing.restore(mngr, games.create_train_state(cfg, jax.random.key(0)))
  finally:
    mngr.close()


def _records(workdir):
  with open(workdir_lib.metrics_path(workdir)) as f:
    return [json.loads(line) for line in f]


@pytest.mark.slow
def test_k_steps_per_call_equal_one_step_per_call_and_resume_exactly(tmp_path):
  with tfds.testing.mock_data(num_examples=64):
    one = loop.train(_device_config(), str(tmp_path / 'k1'))
    three = loop.train(_device_config(steps_per_dispatch=3), str(tmp_path / 'k3'))
    # k = 4 does not divide the log interval: calls stop at steps 3 and 6 anyway.
    four = loop.train(_device_config(steps_per_dispatch=4), str(tmp_path / 'k4'))
    loop.train(_device_config(num_train_steps=3), str(tmp_path / 'resumed'))
    resumed = loop.train(_device_config(steps_per_dispatch=2), str(tmp_path / 'resumed'))
  # CPU, fp32: the same computation, bitwise.
  for other in (three, four, resumed):
    jax.tree.map(np.testing.assert_array_equal, one.variables(), other.variables())
  for name in ('k3', 'k4'):
    a, b = _records(tmp_path / 'k1'), _records(tmp_path / name)
    assert [r['step'] for r in a] == [r['step'] for r in b] == [3, 6]
    for ra, rb in zip(a, b):
      assert {k: v for k, v in ra.items() if k != 'steps_per_sec'} == \
             {k: v for k, v in rb.items() if k != 'steps_per_sec'}
  with open(workdir_lib.config_path(str(tmp_path / 'k1'))) as f:
    recorded = json.load(f)
  assert (recorded['data_reader'], recorded['data_placement']) == ('tfds', 'device')
  assert int(_restored(str(tmp_path / 'k3'), _device_config()).step) == 6


@pytest.mark.slow
def test_cli_trains_and_evaluates_without_tensorflow(mock_mnist_archives, tmp_path):
  folder, sums = mock_mnist_archives
  workdir = str(tmp_path / 'run')
  common = ['--config=configs/tiny.py', f'--workdir={workdir}', f'--config.manual_dir={folder}']

  def run(script, *args):
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tests', 'without_tensorflow.py'), json.dumps(sums),
         script, *common, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONUNBUFFERED='1'))

  train = run('train.py', '--config.steps_per_dispatch=2')
  assert train.returncode == 0, train.stderr[-3000:]
  assert 'Training steps 0..4' in train.stdout
  with open(workdir_lib.config_path(workdir)) as f:
    recorded = json.load(f)
  assert (recorded['data_reader'], recorded['data_placement']) == ('archives', 'device')
  assert checkpointing.complete_steps(workdir_lib.checkpoint_dir(workdir)) == [2, 4]
  # TensorBoard events, written without TensorFlow, read back with TensorBoard's reader.
  from tensorboard.backend.event_processing import event_file_loader
  events = [e for name in os.listdir(workdir_lib.tensorboard_dir(workdir))
            for e in event_file_loader.EventFileLoader(
                os.path.join(workdir_lib.tensorboard_dir(workdir), name)).Load()]
  logged = {(e.step, v.tag) for e in events for v in e.summary.value}
  assert {(2, 'd_loss'), (4, 'mi/cat0'), (4, 'steps_per_sec')} <= logged
  evaluated = run('eval.py', '--samples_only')
  assert evaluated.returncode == 0, evaluated.stderr[-3000:]
  assert os.path.exists(os.path.join(workdir_lib.eval_dir(workdir, 4), 'categories_0.png'))
  host = run('train.py', '--config.data_placement=host', '--config.num_train_steps=6')
  assert host.returncode == 2
  assert host.stderr.strip().splitlines()[-1].startswith(
      "train.py: error: config.data_placement='host' streams MNIST through tf.data, and "
      'TensorFlow is not installed')


def test_data_route_combinations_are_named():
  from configs import ring8
  from infogan_jax.settings import config_validation
  from infogan_jax import errors
  cfg = ring8.get_config()
  cfg.data_placement = 'device'
  with pytest.raises(errors.ConfigError, match="data_placement='device' keeps an image"):
    config_validation.validate(cfg, num_devices=1)
  cfg = tiny.get_config()
  cfg.data_reader, cfg.data_placement = 'archives', 'host'
  with pytest.raises(errors.ConfigError, match="with config.data_reader='archives' use"):
    config_validation.validate(cfg, num_devices=1)
  cfg = tiny.get_config()
  cfg.data_placement, cfg.steps_per_dispatch = 'host', 10
  with pytest.raises(errors.ConfigError, match='steps_per_dispatch=10 runs several steps'):
    config_validation.validate(cfg, num_devices=1)


@pytest.mark.slow
def test_seeds_trained_together_equal_each_seed_alone(tmp_path):
  cfg = _device_config(num_train_steps=4, log_every_steps=2, checkpoint_every_steps=2)
  with tfds.testing.mock_data(num_examples=64):
    together = loop.train(_device_config(num_train_steps=4, log_every_steps=2,
                                         checkpoint_every_steps=2, num_seeds=3,
                                         steps_per_dispatch=2), str(tmp_path / 'seeds'))
    alone = []
    for seed in range(3):
      cfg.seed = seed
      alone.append(loop.train(cfg, str(tmp_path / f'alone_{seed}')))
  assert int(together.step[0]) == 4 and together.g_params['Dense_0']['kernel'].shape[0] == 3
  for seed, single in enumerate(alone):
    cfg.seed = seed
    mine = jax.tree.map(lambda x: x[seed], together.variables())
    if jax.default_backend() == 'cpu':   # the seeds take their steps in turn: exact
      jax.tree.map(np.testing.assert_array_equal, single.variables(), mine)
    else:   # under jax.vmap
      init = games.create_train_state(cfg, jax.random.key(seed)).variables()
      _assert_same_updates(init, single.variables(), mine)
    # Each seed's workdir is a run of that seed alone: same logs, same config but the
    # dispatch pattern, readable by infogan_jax.load.
    seed_dir = workdir_lib.seed_workdir(str(tmp_path / 'seeds'), seed)
    for a, b in zip(_records(seed_dir), _records(str(tmp_path / f'alone_{seed}'))):
      np.testing.assert_allclose([a[k] for k in sorted(a) if k != 'steps_per_sec'],
                                 [b[k] for k in sorted(b) if k != 'steps_per_sec'], rtol=1e-5)
    with open(workdir_lib.config_path(seed_dir)) as f:
      recorded = json.load(f)
    assert recorded['seed'] == seed and recorded['num_seeds'] == 1
    assert int(_restored(seed_dir, cfg).step) == 4
  # Their folder records the run of the seeds together (train.py compares it on resume).
  with open(workdir_lib.config_path(str(tmp_path / 'seeds'))) as f:
    assert json.load(f)['num_seeds'] == 3
  # infogan_jax.load names the seeds' workdirs; eval.py on the sweep's workdir goes seed
  # by seed.
  from infogan_jax import api
  from infogan_jax import errors
  from infogan_jax.evaluation import report as evaluation
  with pytest.raises(errors.EvaluationError, match='seed_0, .*seed_2'):
    api.load(str(tmp_path / 'seeds'))
  figures = evaluation.run_seeds(cfg, str(tmp_path / 'seeds'), samples_only=True)
  assert sorted(figures) == [0, 1, 2] and all(r['step'] == 4 for r in figures.values())
  # Restarts are chosen among groups of seeds: 3 seeds do not split into pairs, said at once.
  cfg.eval.restarts = 2
  with pytest.raises(errors.EvaluationError, match='restarts=2 groups the 3 seeds'):
    evaluation.run_seeds(cfg, str(tmp_path / 'seeds'))


def _assert_same_updates(init, expected, actual):
  """`actual` and `expected` moved from `init` alike, up to float32 rounding (vmap
  batches the products differently), compared as in test_parallel: what the steps
  changed, norm-wise. The biases that feed a BatchNorm have an exactly-zero true gradient:
  Adam turns their float noise into full steps of either sign, so they, their Adam moments
  and the BatchNorm running means they shift are left out."""
  def feeds_batch_norm(path):
    return path.endswith(('Dense_0/bias', 'Dense_1/bias', 'ConvTranspose2x_0/bias',
                          'Conv_1/bias', '/mean'))
  pairs = [(np.asarray(a) - np.asarray(i), np.asarray(b) - np.asarray(i))
           for (path, a), b, i in zip(jax.tree_util.tree_leaves_with_path(expected),
                                      jax.tree.leaves(actual), jax.tree.leaves(init))
           if not feeds_batch_norm(jax.tree_util.keystr(path, simple=True, separator='/'))]
  largest = max(np.linalg.norm(u) for u, _ in pairs)
  assert largest > 1e-2 and len(pairs) > 20
  for u_expected, u_actual in pairs:
    assert np.linalg.norm(u_actual - u_expected) <= (1e-3 * np.linalg.norm(u_expected)
                                                     + 1e-5 * largest)


@pytest.mark.slow
def test_seeds_under_vmap_take_the_steps_they_take_in_turn():
  """The two arrangements of several seeds in one call (vmap for accelerators, in turn on
  CPU) train each seed alike, and give the same metrics."""
  cfg = _device_config()
  mesh = parallel.make_mesh()
  seeds = np.arange(2, dtype=np.int32)
  states = [games.create_train_state(cfg, jax.random.key(int(s))) for s in seeds]
  stacked = parallel.stack_states(states)
  images = parallel.replicate(np.random.default_rng(0).integers(
      0, 256, (64, 28, 28, 1), dtype=np.uint8), mesh)
  orders = device_data.EpochOrders(seeds, cfg.batch_size, 64, steps_per_call=3)
  first, epoch_orders = orders.for_steps(0)
  results = {}
  for in_turn, state in ((True, tuple(states)), (False, stacked)):
    steps = parallel.make_device_data_steps(mesh, cfg.batch_size, 'tanh', stacked=True,
                                            in_turn=in_turn)
    results[in_turn] = steps(jax.tree.map(jnp.copy, state),   # donated
                             images, epoch_orders, np.int32(first), seeds, np.int32(0), 3)
  (in_turn, m_in_turn), (vmapped, m_vmapped) = results[True], results[False]
  assert isinstance(in_turn, tuple) and m_in_turn['nonfinite'].shape == (3, 2)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5),
               m_in_turn, m_vmapped)
  for i in range(2):
    _assert_same_updates(states[i].variables(), in_turn[i].variables(),
                         parallel.seed_part(vmapped.variables(), i))
