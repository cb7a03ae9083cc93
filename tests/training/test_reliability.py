"""Interruption, numerical faults and bad input: training loses nothing it has written
and explains every refusal (infogan_jax/training/reliability.py, workdir.py, checkpointing.py,
config_validation.py, errors.py, train.py).

Most tests run the training loop in-process on configs/ring8.py for a few steps. Four
start train.py as a subprocess because they need a real process: SIGTERM, the one-line
error train.py ends with, a file-size limit (a full disk at save time) and, marked slow,
scripts/kill_test.py (SIGKILL at random moments, at least 10 times).
"""
import gc
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import jax
import ml_collections
import numpy as np
import pytest

from configs import ring8, tiny
from infogan_jax.training import checkpointing
from infogan_jax.settings import config_validation
from infogan_jax import errors
from infogan_jax.data import input_pipeline
from infogan_jax.training import loop
from infogan_jax.training import reliability
from infogan_jax.training import stop_signals
from infogan_jax import games
from infogan_jax.training import workdir as workdir_lib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _ring8(**overrides):
  cfg = ring8.get_config()
  cfg.num_train_steps, cfg.log_every_steps, cfg.checkpoint_every_steps = 10, 5, 5
  cfg.batch_size = 64
  for field, value in overrides.items():
    target = cfg
    *parents, leaf = field.split('.')
    for p in parents:
      target = target[p]
    setattr(target, leaf, value)
  return cfg


def _steps(workdir):
  return checkpointing.complete_steps(os.path.join(workdir, 'checkpoints'))


def _records(workdir):
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    return [json.loads(line) for line in f if line.strip()]


def _restore(workdir, cfg, step=None):
  state = games.create_train_state(cfg, jax.random.key(0))
  mngr = checkpointing.manager(workdir, create=False)
  try:
    return checkpointing.restore(mngr, state, step)
  finally:
    mngr.close()


@pytest.fixture(scope='module')
def ring8_run(tmp_path_factory):
  """A finished 10-step ring8 run with checkpoints at 5 and 10 (copy it to modify it)."""
  workdir = str(tmp_path_factory.mktemp('reliability') / 'run')
  loop.train(_ring8(), workdir)
  assert _steps(workdir) == [5, 10]
  return workdir


def _env():
  # The session's compilation cache (conftest.py) is in os.environ: the subprocesses share it.
  return dict(os.environ, PYTHONUNBUFFERED='1', TF_CPP_MIN_LOG_LEVEL='2', JAX_PLATFORMS='cpu')


def _copy(src, tmp_path, name='copy'):
  dst = str(tmp_path / name)
  shutil.copytree(src, dst)
  return dst


# --- 1. hard kills ------------------------------------------------------------------------
@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing(tmp_path):
  """SIGKILL 10 times (start-up, training, mid-save), re-run the same command each time:
  each re-run resumes from the last complete checkpoint, half-written saves are ignored
  and removed, and the end result is bitwise the uninterrupted run (CPU, fp32)."""
  sys.path.insert(0, os.path.join(ROOT, 'scripts'))
  try:
    import kill_test
  finally:
    sys.path.pop(0)
  report = kill_test.main(trials=10, seed=0, root=str(tmp_path), cache_dir=os.environ['JAX_COMPILATION_CACHE_DIR'])
  trials = report['trials']
  assert len(trials) == 10
  assert report['mid_save_kills'] >= 3     # the 'save' trials, at least
  resumed = [t['resumed_from'] for t in trials if t['resumed_from'] is not None]
  assert len(set(resumed)) >= 4            # the re-runs started from different steps


# --- 2. preemption ------------------------------------------------------------------------
@pytest.mark.slow   # a train.py subprocess: ~12 s
def test_sigterm_saves_a_checkpoint_flushes_logs_and_exits_zero(tmp_path):
  workdir = str(tmp_path / 'run')
  proc = subprocess.Popen(
      [sys.executable, 'train.py', '--config=configs/ring8.py', f'--workdir={workdir}',
       '--config.num_train_steps=100000', '--config.log_every_steps=20',
       '--config.checkpoint_every_steps=0'],
      cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  try:
    for line in proc.stdout:
      if line.startswith('step'):   # training is under way: preempt it mid-interval
        proc.send_signal(signal.SIGTERM)
        break
    out, err = proc.communicate(timeout=120)
  finally:
    proc.kill()
  assert proc.returncode == 0, err[-2000:]
  assert 'Traceback' not in err
  stopped = [l for l in out.splitlines() if l.startswith('SIGTERM: stopped at step')]
  assert stopped, out
  step = int(stopped[0].split()[4])
  assert step >= 20 and _steps(workdir) == [step]   # no periodic saves: this is the one
  assert _records(workdir)[-1]['step'] == step       # the partial log interval, flushed


def _catches_sigterm(pid):
  """Whether process `pid` has a handler for SIGTERM (Linux: /proc/<pid>/status)."""
  with open(f'/proc/{pid}/status') as f:
    caught = next(line for line in f if line.startswith('SigCgt:')).split()[1]
  return bool(int(caught, 16) >> (signal.SIGTERM - 1) & 1)


@pytest.mark.skipif(not os.path.exists('/proc/self/maps'), reason='reads /proc (Linux)')
@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_before_training_starts_exits_zero(tmp_path, signum):
  """The handlers are in place before JAX is even imported: a signal during start-up
  stops the run before its first step, without a traceback, with status 0."""
  workdir = str(tmp_path / 'run')
  proc = subprocess.Popen(
      [sys.executable, 'train.py', '--config=configs/ring8.py', f'--workdir={workdir}'],
      cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  try:
    while proc.poll() is None and not _catches_sigterm(proc.pid):
      time.sleep(0.002)
    with open(f'/proc/{proc.pid}/maps') as f:
      jax_loaded = 'jaxlib' in f.read()
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
  finally:
    proc.kill()
  assert not jax_loaded, 'the stop handlers came after JAX'
  assert proc.returncode == 0 and 'Traceback' not in err, err[-2000:]
  assert f'{signal.Signals(signum).name}: stopped at step 0' in out, out


def test_sigint_stops_after_the_current_step_and_restores_handlers(tmp_path, monkeypatch):
  workdir = str(tmp_path / 'run')
  cfg = _ring8(num_train_steps=12, checkpoint_every_steps=0)
  real_rng = games.step_rng

  def step_rng(seed, step):  # Ctrl-C while step 7 (the 8th) is being dispatched
    if step == 7:
      signal.raise_signal(signal.SIGINT)
    return real_rng(seed, step)

  monkeypatch.setattr(games, 'step_rng', step_rng)
  before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
  state = loop.train(cfg, workdir)
  assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
  assert int(state.step) == 8 and _steps(workdir) == [8]
  assert [r['step'] for r in _records(workdir)] == [5, 8]   # the partial interval too


def test_the_host_waits_for_the_oldest_of_more_than_two_calls():
  """A stop request is seen within two calls: the loop never queues more (CallsInFlight)."""
  waited = []

  class Output:   # stands in for a call's metrics; jax.block_until_ready calls this
    def __init__(self, call):
      self.call = call

    def block_until_ready(self):
      waited.append(self.call)
      return self

  in_flight = reliability.CallsInFlight(limit=2)
  for call in range(5):
    in_flight.add({'d_loss': Output(call)})
    assert waited == list(range(max(0, call - 1)))   # all but the last two are done


def test_a_second_signal_stops_waiting():
  # Python installs default_int_handler only when SIGINT is not ignored at start-up; a job
  # a non-interactive shell starts in the background inherits SIG_IGN. Start from it here.
  inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
  try:
    with stop_signals.StopSignals() as stop:
      signal.raise_signal(signal.SIGINT)
      assert stop.requested and stop.signal_name == 'SIGINT'
      with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
  finally:
    signal.signal(signal.SIGINT, inherited)


# --- 3. numerical faults ------------------------------------------------------------------
def _poison(monkeypatch, bad_batches):
  """Batches with these (absolute) indices are all NaN: step i+1 reads batch i."""
  real = input_pipeline.create_dataset

  def create(data, batch_size, split='train', seed=0, skip_batches=0, **kwargs):
    stream = real(data, batch_size, split=split, seed=seed, skip_batches=skip_batches,
                  **kwargs)

    def batches():
      for index, batch in enumerate(stream, start=skip_batches):
        if index in bad_batches:
          batch = dict(batch, image=np.full_like(batch['image'], np.nan))
        yield batch
    return batches()

  monkeypatch.setattr(input_pipeline, 'create_dataset', create)


def test_train_step_flags_nonfinite_values_and_skip_keeps_the_state():
  """(Without 'skip' the NaN reaches the parameters: see the trainer tests below.)"""
  cfg = _ring8(on_nonfinite='skip')
  nan_batch = {'image': np.full((cfg.batch_size, 2), np.nan, np.float32)}
  state = games.create_train_state(cfg, jax.random.key(0))
  step = jax.jit(games.train_step)
  new, metrics = step(state, nan_batch, games.step_rng(0, 0))
  assert int(metrics['nonfinite']) == 1 | 2 | 4   # losses, D/Q and G gradients
  assert int(new.step) == 1
  jax.tree.map(np.testing.assert_array_equal,
               {k: v for k, v in state.variables().items() if k != 'step'},
               {k: v for k, v in new.variables().items() if k != 'step'})
  ok = {'image': np.zeros((cfg.batch_size, 2), np.float32)}
  new, metrics = step(state, ok, games.step_rng(0, 0))
  assert int(metrics['nonfinite']) == 0
  assert not np.array_equal(new.d_params['Dense_0']['kernel'], state.d_params['Dense_0']['kernel'])


def test_nan_stops_training_before_the_next_checkpoint(tmp_path, monkeypatch):
  workdir = str(tmp_path / 'run')
  _poison(monkeypatch, {12})   # step 13
  cfg = _ring8(num_train_steps=20)
  with pytest.raises(errors.NonFiniteError) as e:
    loop.train(cfg, workdir)
  message = str(e.value)
  print(message)
  assert 'at step 13' in message and 'd_loss' in message and 'D/Q gradients' in message
  assert os.path.join(workdir, 'checkpoints', '10') in message
  assert _steps(workdir) == [5, 10]               # step 15 was not saved
  restored = _restore(workdir, cfg)
  assert int(restored.step) == 10
  assert all(np.isfinite(x).all() for x in jax.tree.leaves(restored.variables()))


def test_nan_after_resuming_says_so_without_vouching_for_the_checkpoint(
    ring8_run, tmp_path, monkeypatch):
  workdir = _copy(ring8_run, tmp_path)
  _poison(monkeypatch, {11})   # step 12, two steps after resuming from step 10
  with pytest.raises(errors.NonFiniteError) as e:
    loop.train(_ring8(num_train_steps=20), workdir)
  message = str(e.value)
  print(message)
  assert 'at step 12, 2 steps after resuming from step 10' in message
  assert 'intact' not in message and 'nothing was saved since' in message
  assert _steps(workdir) == [5, 10]


def test_skip_policy_drops_the_bad_update_and_logs_it(tmp_path, monkeypatch):
  workdir = str(tmp_path / 'run')
  _poison(monkeypatch, {12})
  cfg = _ring8(num_train_steps=15, on_nonfinite='skip')
  state = loop.train(cfg, workdir)
  assert int(state.step) == 15
  assert all(np.isfinite(x).all() for x in jax.tree.leaves(state.variables()))
  records = {r['step']: r for r in _records(workdir)}
  assert records[15]['nonfinite_skipped'] == 1 and records[10]['nonfinite_skipped'] == 0
  assert np.isfinite(records[15]['d_loss'])       # the skipped step is not averaged in


@pytest.mark.slow
def test_huge_learning_rate_ends_with_a_one_line_error(tmp_path):
  proc = subprocess.run(
      [sys.executable, 'train.py', '--config=configs/ring8.py', f'--workdir={tmp_path / "run"}',
       '--config.d_learning_rate=1e30', '--config.g_learning_rate=1e30',
       '--config.num_train_steps=40', '--config.checkpoint_every_steps=10',
       '--config.log_every_steps=10', '--config.batch_size=64'],
      cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
  assert proc.returncode == 1
  err = proc.stderr.strip().splitlines()
  print(err[-1])
  assert err[-1].startswith('train.py: error: non-finite values (NaN/Inf) at step ')


# --- 4. checkpoint problems ---------------------------------------------------------------
def _largest_data_file(workdir, step):
  files = glob.glob(os.path.join(workdir, 'checkpoints', str(step), 'default', 'ocdbt*',
                                 'd', '*'))
  return max(files, key=os.path.getsize)


def _flip_bytes(path, offset, n=16):
  with open(path, 'r+b') as f:
    f.seek(offset)
    data = f.read(n)
    f.seek(offset)
    f.write(bytes(b ^ 0xFF for b in data))


def _truncate(path, size):
  with open(path, 'r+b') as f:
    f.truncate(size)


@pytest.mark.filterwarnings('ignore::pytest.PytestUnraisableExceptionWarning')  # orbax
@pytest.mark.parametrize('damage, expected', [
    ('flip', 'CRC-32 mismatch'),         # orbax itself would restore other numbers
    ('truncate', 'cannot be used'),
    ('metadata', 'is not valid JSON'),
    ('empty', 'cannot be used'),
    ('no checksums', 'CRC-32 checksums'),  # not trusted silently
])
def test_damaged_checkpoint_is_named_with_the_way_out(ring8_run, tmp_path, damage, expected):
  workdir = _copy(ring8_run, tmp_path)
  where = os.path.join(workdir, 'checkpoints', '10')
  if damage == 'flip':
    path = _largest_data_file(workdir, 10)
    _flip_bytes(path, os.path.getsize(path) // 2)
  elif damage == 'truncate':
    _truncate(_largest_data_file(workdir, 10), 1000)
  elif damage == 'metadata':
    _truncate(os.path.join(where, '_CHECKPOINT_METADATA'), 20)
  elif damage == 'no checksums':
    os.remove(os.path.join(where, '_CHECKPOINT_METADATA'))
  else:
    shutil.rmtree(where)
    os.makedirs(where)
  with pytest.raises(errors.CheckpointError) as e:
    loop.train(_ring8(num_train_steps=12), workdir)
  message = str(e.value)
  print(f'{damage}: {message}')
  assert where in message and expected in message
  assert f'Delete {where} to resume from the previous checkpoint (step 5)' in message
  assert '--restart' in message and len(message) < 800
  # orbax leaves the failed read's coroutines behind; collect them under this test's
  # warning filter, not during whichever test happens to run next.
  del e
  gc.collect()


def test_workdir_with_another_config_is_refused_until_restart(ring8_run, tmp_path, capsys):
  workdir = _copy(ring8_run, tmp_path)
  other = _ring8(**{'model.g_widths': (64, 64), 'd_learning_rate': 3e-3})
  with pytest.raises(errors.WorkdirError) as e:
    loop.train(other, workdir)
  message = str(e.value)
  print(message)
  assert 'config.model.g_widths: [128, 128] in the workdir, [64, 64] now' in message
  assert 'config.d_learning_rate: 0.001 in the workdir, 0.003 now' in message
  assert '--restart' in message and os.path.join(workdir, 'config.json') in message
  assert _steps(workdir) == [5, 10]               # nothing touched

  other.num_train_steps = 2
  loop.train(other, workdir, restart=True)
  moved = glob.glob(os.path.join(workdir, 'replaced_*'))
  assert len(moved) == 1 and _steps(moved[0]) == [5, 10]
  assert _steps(workdir) == [2]
  with open(os.path.join(workdir, 'config.json')) as f:
    assert json.load(f)['model']['g_widths'] == [64, 64]
  assert 'moved the previous run to' in capsys.readouterr().out


def test_checkpoint_of_another_model_without_config_json(ring8_run, tmp_path):
  workdir = _copy(ring8_run, tmp_path)
  os.remove(os.path.join(workdir, 'config.json'))
  with pytest.raises(errors.CheckpointMismatchError) as e:
    loop.train(_ring8(**{'model.d_widths': (32, 32)}), workdir)
  print(e.value)
  assert os.path.join(workdir, 'checkpoints', '10') in str(e.value)
  assert 'config.model.d_widths' in str(e.value)
  # A failed start records nothing: the right config then resumes (and is recorded).
  assert not os.path.exists(os.path.join(workdir, 'config.json'))
  loop.train(_ring8(num_train_steps=12), workdir)
  assert _steps(workdir) == [5, 10, 12]
  with open(os.path.join(workdir, 'config.json')) as f:
    assert json.load(f)['num_train_steps'] == 12


def test_a_run_already_past_its_steps_says_so(ring8_run, tmp_path, capsys):
  workdir = _copy(ring8_run, tmp_path)
  for steps in (5, 10):
    state = loop.train(_ring8(num_train_steps=steps), workdir)
    assert int(state.step) == 10 and _steps(workdir) == [5, 10]
    out = capsys.readouterr().out
    assert (f'{workdir} is already at step 10 (config.num_train_steps={steps}): nothing to '
            'train') in out and 'Training steps' not in out, out


def test_a_failed_start_leaves_the_recorded_config_alone(ring8_run, tmp_path, monkeypatch):
  workdir = _copy(ring8_run, tmp_path)
  path = os.path.join(workdir, 'config.json')
  with open(path) as f:
    before = f.read()

  def fails(*args, **kwargs):
    raise MemoryError('simulated: the first step does not fit')
  monkeypatch.setattr(loop, '_dispatcher', lambda *a: fails)
  with pytest.raises(MemoryError):
    loop.train(_ring8(num_train_steps=30), workdir)
  with open(path) as f:
    assert f.read() == before                      # still num_train_steps=10
  monkeypatch.undo()
  loop.train(_ring8(num_train_steps=12), workdir)  # the corrected rerun resumes
  assert _steps(workdir) == [5, 10, 12]


def test_unreadable_config_json_is_named(ring8_run, tmp_path):
  workdir = _copy(ring8_run, tmp_path)
  _truncate(os.path.join(workdir, 'config.json'), 30)
  with pytest.raises(errors.WorkdirError, match='config.json cannot be read'):
    loop.train(_ring8(), workdir)


def test_resuming_may_change_run_length_and_bookkeeping_only():
  old = json.loads(_ring8().to_json_best_effort())
  new = _ring8(num_train_steps=99, log_every_steps=7, keep_checkpoints=9,
               on_nonfinite='skip', **{'eval.num_samples': 5})
  assert workdir_lib.config_differences(old, json.loads(new.to_json_best_effort())) == []
  new = _ring8(seed=1, **{'latent.noise_dim': 3})
  diffs = workdir_lib.config_differences(old, json.loads(new.to_json_best_effort()))
  assert [d.split(':')[0] for d in diffs] == ['config.latent.noise_dim', 'config.seed']


# --- 5. config and environment ------------------------------------------------------------
BAD_CONFIGS = [
    ('batch_size', 0, 'config.batch_size must be an integer > 0, got 0'),
    ('batch_size', 64.0, 'config.batch_size must be an integer > 0, got 64.0'),
    ('num_train_steps', -5, 'config.num_train_steps must be an integer > 0, got -5'),
    ('seed', -1, 'config.seed must be an integer in [0, 2147483647], got -1'),
    ('d_learning_rate', 0.0, 'config.d_learning_rate must be a finite number > 0, got 0.0'),
    ('g_learning_rate', float('nan'), 'config.g_learning_rate must be a finite number > 0'),
    ('beta1', 1.0, 'config.beta1 must be a number in [0, 1), got 1.0'),
    ('beta2', 'high', "config.beta2 must be a number in [0, 1), got 'high'"),
    ('lambda_cont', -0.5, 'config.lambda_cont must be a finite number >= 0, got -0.5'),
    ('dataset', 'cifar10', "config.dataset must be one of ('mnist', 'ring8', 'shapes', 'printed', 'svhn', 'celeba'), got 'cifar10'"),
    ('on_nonfinite', 'ignore', "config.on_nonfinite must be one of ('stop', 'skip'), got"),
    ('gan_baseline', 'yes', "config.gan_baseline must be True or False, got 'yes'"),
    ('log_every_steps', -1, 'config.log_every_steps must be an integer >= 0, got -1'),
    ('keep_checkpoints', 0, 'config.keep_checkpoints must be an integer > 0, got 0'),
    ('shuffle_buffer', 0, 'config.shuffle_buffer must be an integer > 0, got 0'),
    ('data_dir', None, 'config.data_dir must be a string'),
    ('latent.noise_prior', 'cauchy', "config.latent.noise_prior must be one of ('uniform',"),
    ('latent.categorical', (10, 1), 'config.latent.categorical must be a tuple of integers >= 2'),
    ('latent.continuous', -2, 'config.latent.continuous must be an integer >= 0, got -2'),
    ('latent.learn_cont_std', 1, 'config.latent.learn_cont_std must be True or False, got 1'),
    ('model.arch', 'resnet', "config.model.arch must be one of ('conv', 'deep_conv', 'mlp'), got 'resnet'"),
    ('model.g_widths', (64, 0, 8), 'config.model.g_widths must be a non-empty tuple of integers > 0'),
    ('model.d_widths', (64, 128), 'config.model.d_widths needs 3 entries for the conv'),
    ('model.q_width', 0, 'config.model.q_width must be an integer > 0, got 0'),
    ('model.leaky_slope', 2.0, 'config.model.leaky_slope must be a number in [0, 1], got 2.0'),
    ('model.output_activation', 'relu', 'config.model.output_activation must be one of'),
    ('model.compute_dtype', 'float16', "config.model.compute_dtype must be one of ('float32',"),
    ('eval.num_samples', 0, 'config.eval.num_samples must be an integer > 0, got 0'),
    ('eval.inception_weights', 'inception.pkl', "config.eval.inception_weights must be a "
     "weights file: empty, or a path ending in one of ('.pth', '.pt', '.npz'), got 'inception.pkl'"),
]


@pytest.mark.parametrize('field, value, expected', BAD_CONFIGS,
                         ids=[f'{f}={v!r}' for f, v, _ in BAD_CONFIGS])
def test_bad_config_values_are_named(field, value, expected):
  # Without ConfigDict's type safety, as a hand-made or JSON-loaded config could be.
  cfg = ml_collections.ConfigDict(tiny.get_config().to_dict(), type_safe=False)
  *parents, leaf = field.split('.')
  target = cfg
  for p in parents:
    target = target[p]
  target[leaf] = value
  with pytest.raises(errors.ConfigError) as e:
    config_validation.validate(cfg, num_devices=1)
  assert expected in str(e.value), str(e.value)


def test_bad_combinations_are_named():
  cfg = ring8.get_config()
  cfg.model.arch = 'conv'
  with pytest.raises(errors.ConfigError, match="model.arch='conv' needs image"):
    config_validation.validate(cfg, num_devices=1)
  cfg = tiny.get_config()   # no codes is a plain GAN (configs/dcgan.py); no input at all is not
  cfg.latent.categorical, cfg.latent.continuous, cfg.latent.noise_dim = (), 0, 0
  with pytest.raises(errors.ConfigError, match='the generator needs an input'):
    config_validation.validate(cfg, num_devices=1)
  cfg = tiny.get_config()
  with pytest.raises(errors.ConfigError, match='not divisible by the 3 devices'):
    config_validation.validate(cfg, num_devices=3)
  cfg = tiny.get_config()
  del cfg['model']['q_width']
  with pytest.raises(errors.ConfigError, match='config.model.q_width is missing'):
    config_validation.validate(cfg, num_devices=1)


def test_the_default_and_basic_configs_validate():
  # (Every field of the default config having a rule: tests/settings/test_fields.py.)
  for name in ('default', 'mnist', 'ring8', 'tiny'):
    module = __import__(f'configs.{name}', fromlist=['get_config'])
    config_validation.validate(module.get_config(), num_devices=1)


def test_unwritable_workdir_is_named(tmp_path):
  blocker = tmp_path / 'a_file'
  blocker.write_text('not a folder')
  workdir = str(blocker / 'run')
  with pytest.raises(errors.WorkdirError) as e:
    loop.train(_ring8(), workdir)
  print(e.value)
  assert f'cannot write to the workdir {workdir}' in str(e.value)


def test_missing_dataset_fails_at_once_offline(tmp_path, monkeypatch):
  monkeypatch.setattr(input_pipeline, '_can_reach', lambda *a, **k: False)
  cfg = tiny.get_config()
  cfg.data_dir = str(tmp_path / 'empty_tfds')
  with pytest.raises(errors.DatasetUnavailableError) as e:
    loop.train(cfg, str(tmp_path / 'run'))
  print(e.value)
  assert 'MNIST is not prepared in' in str(e.value) and '--config.manual_dir' in str(e.value)
  assert not os.path.exists(tmp_path / 'run')     # refused before touching the workdir
  cfg.manual_dir = str(tmp_path / 'no_such_folder')
  with pytest.raises(errors.DatasetUnavailableError, match='is not a folder'):
    loop.train(cfg, str(tmp_path / 'run'))


@pytest.mark.parametrize('log_fits', [True, False])
def test_full_disk_at_save_time_is_a_one_line_error(tmp_path, log_fits):
  """A file-size limit stands in for a full disk (the same failed write; no mount needed).
  On a really full disk errors.log cannot be written either (a folder in its place stands
  in for that): the tracebacks are then dropped, not printed above the line."""
  workdir = str(tmp_path / 'run')
  if not log_fits:
    os.makedirs(os.path.join(workdir, 'errors.log'))
  command = [sys.executable, 'train.py', '--config=configs/ring8.py', f'--workdir={workdir}',
             '--config.num_train_steps=30', '--config.checkpoint_every_steps=10',
             '--config.log_every_steps=10']
  # Files of the child may not exceed 64 KB (writes beyond fail with EFBIG instead of
  # raising SIGXFSZ): config.json and the logs fit, a checkpoint does not.
  proc = subprocess.run(
      ['bash', '-c', 'trap "" XFSZ; ulimit -f 64; exec "$@"', 'bash', *command],
      cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
  last = proc.stderr.strip().splitlines()[-1]
  print(last)
  assert proc.returncode == 1
  assert last.startswith("train.py: error: could not write the checkpoint of step 10 ")
  assert '[Errno 27] File too large' in last and 'no checkpoint was completed' in last
  assert _steps(workdir) == []
  # orbax's threads report the failure in dozens of tracebacks: they go to the log.
  assert 'Traceback' not in proc.stderr and 'Event loop is closed' not in proc.stderr
  if log_fits:
    assert last.endswith(f'(details: {os.path.join(workdir, "errors.log")})')
    with open(os.path.join(workdir, 'errors.log')) as f:
      assert 'File too large' in f.read()
  else:
    assert last.endswith('re-run the same command to resume.')


def _cli(*args, limit_kb=None, timeout=300):
  command = [sys.executable, 'train.py', *args]
  if limit_kb:   # a file-size limit stands in for a full disk
    command = ['bash', '-c', f'trap "" XFSZ; ulimit -f {limit_kb}; exec "$@"', 'bash',
               *command]
  return subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True,
                        timeout=timeout)


@pytest.mark.parametrize('args, expected', [
    (['--config.batchsize=64'], "--config.batchsize: the config has no field 'batchsize'. "
                                'Did you mean "batch_size"'),
    (['--config.model.g_widht=3'], "the config has no field 'g_widht'"),
    (['--config.batch_size=abc'], 'flag --config.batch_size=abc: invalid literal'),
    (['--batch_size=64'], "Unknown command line flag 'batch_size'"),
    (['extra'], "unexpected arguments ['extra']"),
    (['--config.batch_size=-3'], 'config.batch_size must be an integer > 0, got -3'),
])
def test_flag_and_config_mistakes_are_one_line_with_status_2(tmp_path, args, expected):
  proc = _cli('--config=configs/ring8.py', f'--workdir={tmp_path / "run"}', *args)
  print(proc.stderr)
  assert proc.returncode == 2
  assert len(proc.stderr.strip().splitlines()) == 1
  assert proc.stderr.strip().startswith('train.py: error: ') and expected in proc.stderr
  assert not os.path.exists(tmp_path / 'run')


def test_a_missing_or_broken_config_file_is_one_line_with_status_2(tmp_path):
  broken = tmp_path / 'broken.py'
  broken.write_text('def get_config(:\n')
  for path, expected in [(tmp_path / 'nope.py', 'does not exist'),
                         (broken, 'cannot be loaded: SyntaxError'),
                         ('configs/ring8.py:x', 'cannot be loaded: TypeError: get_config() '
                                                'takes 0 positional arguments')]:
    proc = _cli(f'--config={path}', f'--workdir={tmp_path / "run"}')
    print(proc.stderr)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith(f'train.py: error: the config file {path}')
    assert expected in proc.stderr


@pytest.mark.slow
def test_a_full_disk_while_logging_is_one_line_and_loses_no_record(tmp_path):
  workdir = str(tmp_path / 'run')
  args = ['--config=configs/ring8.py', f'--workdir={workdir}', '--config.log_every_steps=1',
          '--config.checkpoint_every_steps=0']   # (a checkpoint would not fit in 16 KB)
  proc = _cli(*args, '--config.num_train_steps=300', limit_kb=16)
  last = proc.stderr.strip().splitlines()[-1]
  print(last)
  assert proc.returncode == 1 and 'Traceback' not in proc.stderr
  assert last.startswith(f'train.py: error: cannot write {workdir}/metrics.jsonl: '
                         '[Errno 27] File too large.')
  # Space again: the same command runs; the cut line is dropped, every record is whole.
  proc = _cli(*args, '--config.num_train_steps=5')
  assert proc.returncode == 0, proc.stderr
  assert [r['step'] for r in _records(workdir)][-5:] == [1, 2, 3, 4, 5]


@pytest.mark.slow
def test_out_of_memory_is_one_line_and_records_no_config(tmp_path):
  workdir = str(tmp_path / 'run')
  proc = _cli('--config=configs/ring8.py', f'--workdir={workdir}',
              '--config.batch_size=1000000000000')
  last = proc.stderr.strip().splitlines()[-1]
  print(last)
  assert proc.returncode == 1 and 'Traceback' not in proc.stderr
  assert last.startswith('train.py: error: out of memory (Unable to allocate ')
  assert 'Lower config.batch_size' in last
  assert not os.path.exists(os.path.join(workdir, 'config.json'))
  proc = _cli('--config=configs/ring8.py', f'--workdir={workdir}',
              '--config.num_train_steps=3')   # the corrected command needs no --restart
  assert proc.returncode == 0, proc.stderr


def test_a_workdir_starting_with_a_tilde_is_the_home_folder(tmp_path, monkeypatch):
  # `--workdir=~/x` reaches train.py unexpanded (the shell expands ~ only at a word's start).
  monkeypatch.setenv('HOME', str(tmp_path / 'home'))
  monkeypatch.chdir(tmp_path)
  loop.train(_ring8(num_train_steps=5), '~/run')
  assert _steps(str(tmp_path / 'home' / 'run')) == [5]
  assert not os.path.exists(tmp_path / '~')


def test_restart_moves_only_what_training_wrote(ring8_run, tmp_path):
  workdir = _copy(ring8_run, tmp_path)
  os.makedirs(os.path.join(workdir, '.git'))          # e.g. --workdir=. in a checkout
  with open(os.path.join(workdir, 'notes.txt'), 'w') as f:
    f.write('mine')
  with pytest.raises(errors.WorkdirError, match=r"training did not write \(\.git, notes\.txt\)"):
    loop.train(_ring8(num_train_steps=2), workdir, restart=True)
  assert _steps(workdir) == [5, 10] and not glob.glob(os.path.join(workdir, 'replaced_*'))
  shutil.rmtree(os.path.join(workdir, '.git'))
  os.remove(os.path.join(workdir, 'notes.txt'))
  loop.train(_ring8(num_train_steps=2), workdir, restart=True)
  moved, = glob.glob(os.path.join(workdir, 'replaced_*'))
  assert sorted(os.listdir(moved)) == ['checkpoints', 'config.json', 'metrics.jsonl',
                                       'tensorboard']


def test_a_record_cut_by_a_kill_is_dropped_and_damaged_lines_are_skipped(ring8_run, tmp_path,
                                                                          capsys):
  from infogan_jax.training import metric_logging
  workdir = _copy(ring8_run, tmp_path)
  path = os.path.join(workdir, 'metrics.jsonl')
  with open(path, 'rb+') as f:        # killed while writing the step-10 record
    f.truncate(os.path.getsize(path) - 25)
  shutil.rmtree(os.path.join(workdir, 'checkpoints', '10'))   # its checkpoint not written
  loop.train(_ring8(), workdir)       # resumes at 5, logs 10 again
  assert [r['step'] for r in _records(workdir)] == [5, 10]
  with open(path, 'a') as f:
    f.write('{"step": 15, "d_lo\n')
  records = metric_logging.read_metrics(workdir)
  assert [r['step'] for r in records] == [5, 10]
  assert 'skipped 1 damaged line(s)' in capsys.readouterr().err


def test_a_second_trainer_on_the_same_workdir_is_refused(ring8_run, tmp_path):
  workdir = _copy(ring8_run, tmp_path)
  with workdir_lib.lock(workdir):   # another trainer holds it (flock: any open of the file)
    for restart in (False, True):
      with pytest.raises(errors.WorkdirError, match=rf'{workdir} is in use by another '
                                                    rf'trainer \(pid {os.getpid()} on '):
        loop.train(_ring8(num_train_steps=12), workdir, restart=restart)
    assert _steps(workdir) == [5, 10] and not glob.glob(os.path.join(workdir, 'replaced_*'))
  loop.train(_ring8(num_train_steps=12), workdir)    # released: the next run goes on
  assert _steps(workdir)[-1] == 12


def _seeds_config(num_seeds):
  cfg = tiny.get_config()
  cfg.data_placement, cfg.num_seeds = 'device', num_seeds
  return cfg


def test_seeds_trained_together_lock_their_folder(tmp_path):
  import tensorflow_datasets as tfds
  workdir = str(tmp_path / 'sweep')
  # Another trainer (a --restart of the folder, say) holds the folder: the seeds are refused
  # too, or that trainer would move their live folders aside.
  with workdir_lib.lock(workdir), tfds.testing.mock_data(num_examples=64):
    with pytest.raises(errors.WorkdirError, match=rf'{workdir} is in use by another trainer'):
      loop.train(_seeds_config(2), workdir)
  assert workdir_lib.seed_workdirs(workdir) == {}


def test_the_number_of_seeds_of_a_workdir_is_compared_like_its_config(trained_tiny, tmp_path):
  import tensorflow_datasets as tfds
  one, legacy, two = (str(tmp_path / name) for name in ('one', 'legacy', 'two'))
  shutil.copytree(trained_tiny, one)                    # a run of one seed
  for path in (legacy, two):                            # seeds trained together
    for seed in (0, 1):
      shutil.copytree(trained_tiny, workdir_lib.seed_workdir(path, seed))
  workdir_lib.write_config(_seeds_config(2), two)      # ... with the record of the folder
  with tfds.testing.mock_data(num_examples=64):
    for workdir, num_seeds, expected in [
        (one, 2, 'config.num_seeds: 1 in the workdir, 2 now'),
        (two, 3, 'config.num_seeds: 2 in the workdir, 3 now'),
        (two, 1, 'config.num_seeds: 2 in the workdir, 1 now'),
        (legacy, 1, f'{legacy} holds seeds trained together (seed_0, seed_1)')]:
      with pytest.raises(errors.WorkdirError) as e:
        loop.train(_seeds_config(num_seeds), workdir)
      print(e.value)
      assert expected in str(e.value) and '--restart' in str(e.value)
      # Refused before anything is written: no new seed's folder, no run in the folder.
      assert sorted(workdir_lib.seed_workdirs(workdir)) == ([] if workdir == one else [0, 1])
      assert _steps(workdir) == ([2, 4] if workdir == one else [])
  assert _steps(workdir_lib.seed_workdir(legacy, 0)) == [2, 4]


@pytest.mark.parametrize('name, make', [('metrics.jsonl', os.makedirs),
                                        ('tensorboard', lambda p: open(p, 'w').close())])
def test_a_log_path_of_the_wrong_kind_is_named(tmp_path, name, make):
  workdir = tmp_path / 'run'
  workdir.mkdir()
  make(str(workdir / name))   # a folder where a file goes, or the other way round
  with pytest.raises(errors.WorkdirError) as e:
    loop.train(_ring8(num_train_steps=2), str(workdir))
  print(e.value)
  assert str(workdir / name) in str(e.value) and '\n' not in str(e.value)


def test_a_link_planted_as_the_lock_is_refused_and_its_target_untouched(tmp_path):
  # A workdir in a shared folder (/tmp): another user plants train.lock (or the log) as a
  # link to a file of ours, or to a name where a file would be created.
  victim, missing = tmp_path / 'victim.txt', tmp_path / 'created_through_the_link'
  victim.write_text('precious')
  for i, (name, target) in enumerate([('train.lock', victim), ('train.lock', missing),
                                      ('metrics.jsonl', victim)]):
    workdir = tmp_path / f'run{i}'
    workdir.mkdir()
    os.symlink(target, workdir / name)
    with pytest.raises(errors.WorkdirError) as e:
      loop.train(_ring8(num_train_steps=2), str(workdir))
    print(e.value)
    assert f'{workdir / name} is a link or not a regular file' in str(e.value)
    assert '\n' not in str(e.value) and not os.path.exists(workdir / 'config.json')
  assert victim.read_text() == 'precious' and not missing.exists()


def test_environment_errors_become_errors_the_user_can_act_on():
  import errno as errno_lib
  device = RuntimeError('RESOURCE_EXHAUSTED: Out of memory allocating 501200178216 bytes.')
  for e, expected in [
      (MemoryError('Unable to allocate 7.28 TiB for an array'), 'out of memory (Unable to '
                                                                'allocate 7.28 TiB)'),
      (device, 'out of memory (Out of memory allocating 501200178216 bytes)'),
      (OSError(errno_lib.ENOSPC, 'No space left on device', '/r/metrics.jsonl'),
       'cannot write /r/metrics.jsonl: [Errno 28] No space left on device'),
      (OSError(errno_lib.EACCES, 'Permission denied', '/r/samples'), 'make it writable'),
  ]:
    error = errors.from_environment(e)
    assert isinstance(error, errors.ResourceError) and error.exit_status == 1
    assert expected in str(error), str(error)
  # Anything else is a bug to report, not a message to act on: the traceback stays.
  assert errors.from_environment(RuntimeError('shapes do not match')) is None
  assert errors.from_environment(OSError(errno_lib.ENOENT, 'No such file')) is None
