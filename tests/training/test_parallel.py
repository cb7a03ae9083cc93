"""Data parallelism on CPU: 4 forced host devices, and two real processes on localhost.

This pytest process has already started JAX with one device, so every multi-device or
multi-process run happens in a subprocess (tests/parallel_worker.py or train.py) with
XLA_FLAGS=--xla_force_host_platform_device_count=N set before JAX starts.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile

import jax
import numpy as np
import pytest

from configs import ring8
from infogan_jax.data import input_pipeline
from infogan_jax.training import parallel
from infogan_jax import games

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER = os.path.join(ROOT, 'tests', 'parallel_worker.py')
# Launchers that would make a child start jax.distributed on its own.
_LAUNCHER_VARS = ('JAX_COORDINATOR_ADDRESS', 'SLURM_', 'OMPI_')


def _env(devices):
  env = {k: v for k, v in os.environ.items() if not k.startswith(_LAUNCHER_VARS)}
  # Keeps the XLA_FLAGS of conftest.py.
  xla_flags = f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={devices}"
  env.update(XLA_FLAGS=xla_flags.strip(),
             JAX_PLATFORMS='cpu', TF_CPP_MIN_LOG_LEVEL='2')
  return env


def _load(path):
  with np.load(path) as f:
    return {k: f[k] for k in f.files}


# InfoGAN's in the fast tier; every other game's and term's under -m slow.
@pytest.mark.parametrize('variant', ['infogan'] + [
    pytest.param(v, marks=pytest.mark.slow)
    for v in ('ss', 'wgan_gp', 'consistency', 'minibatch', 'cgan', 'vaegan', 'cyclegan')])
def test_four_devices_give_the_parameters_of_one_device(tmp_path, variant):
  """Same global batch and latents, 2 steps of the conv config (with BatchNorm); `ss`:
  ss-InfoGAN's guided code, with labelled and unlabelled batches; `wgan_gp`: the gradient
  penalty and the critic steps; `consistency`: deformed copies and IIC's agreement, whose
  joint is the global batch's; `minibatch`: minibatch discrimination, whose features compare
  each image with the global batch's; `cgan`: D reading labels; `vaegan`: the encoder's
  posterior draws, made for the global batch, and its BatchNorm; `cyclegan`: four networks
  with instance norm and the history pools, which must see the global batch."""
  run = subprocess.run([sys.executable, WORKER, 'equivalence', str(tmp_path)]
                       + ([variant] if variant != 'infogan' else []), env=_env(4),
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert run.returncode == 0, run.stderr[-3000:]
  assert 'devices=4' in run.stdout
  init = _load(tmp_path / 'init.npz')
  one, four = _load(tmp_path / 'one.npz'), _load(tmp_path / 'all.npz')
  assert one.keys() == four.keys()
  assert any(('BatchNorm' if variant != 'cyclegan' else 'pools') in k for k in one)
  # WGAN-GP differentiates through a gradient (the penalty), which amplifies float32
  # rounding: one device compiled at two XLA optimisation levels already differs by 6e-4
  # in g_total and 1.2e-3 in an update's norm (measured), and 4 devices land within that.
  # Wrong averaging or per-device statistics change updates by O(1) (see below).
  noise = 10.0 if variant == 'wgan_gp' else 1.0
  for name in [n for n in one if n not in init]:  # metrics
    np.testing.assert_allclose(four[name], one[name], rtol=1e-4 * noise, atol=1e-6 * noise,
                               err_msg=name)
  # Two steps, not three: at this scenario's third step some unit of the tiny networks sits
  # at its ReLU kink for one image, so G's gradient jumps with rounding. Measured with one
  # device and nothing else changed but XLA's optimisation level: the step's losses agree to
  # 1e-7, G's updates differ by 0.3-0.8% in every layer (2.6e-6 after two steps).
  # Parameters and BatchNorm statistics: compare what the two steps changed, norm-wise.
  # Per-device BatchNorm statistics or a wrongly averaged gradient change the update by
  # O(1) (per-device statistics: error 2.2x the update's norm); float32 reduction order
  # changes it by ~1e-4 (measured up to 1.8e-4 on an AMD EPYC at XLA's optimisation
  # level 0), and element-wise tolerances fail on the entries that happen to be near
  # zero. The biases that feed a BatchNorm have an exactly-zero true gradient, so their
  # updates are pure float noise, which scales with the network's updates (measured: at
  # most 2.3e-7 of the largest update with either weight_init), hence a floor of 1e-5 of
  # the largest.
  updates = {n: (one[n] - init[n], four[n] - init[n]) for n in one if n in init}
  largest = max(np.linalg.norm(u1) for u1, _ in updates.values())
  assert largest > 1e-2  # the steps did train
  for name, (update_one, update_four) in updates.items():
    error = np.linalg.norm(update_four - update_one)
    size = np.linalg.norm(update_one)
    assert error <= noise * (1e-3 * size + 1e-5 * largest), (name, error, size, largest)


def test_batch_size_not_divisible_by_the_devices_is_a_clear_error(tmp_path):
  run = subprocess.run(
      [sys.executable, 'train.py', '--config=configs/ring8.py', f'--workdir={tmp_path}',
       '--config.batch_size=6'], env=_env(4), cwd=ROOT, capture_output=True, text=True,
      timeout=300)
  assert run.returncode == 2, run.stderr[-3000:]
  assert ('config.batch_size=6 is not divisible by the 4 devices in use; '
          'choose a multiple of 4.') in run.stderr
  assert 'Traceback' not in run.stderr
  assert not os.path.exists(tmp_path / 'checkpoints')


def _free_port():
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def _two_processes(out, *flags, config='configs/ring8.py', env=None):
  """train.py as processes 0 and 1 of 2 (2 CPU devices each) on a localhost coordinator.
  Returns their stdouts."""
  common = [sys.executable, WORKER, 'train', out, f'--config={config}', *flags,
            f'--coordinator_address=localhost:{_free_port()}', '--num_processes=2']
  logs = [tempfile.TemporaryFile('w+') for _ in range(2)]  # pipes could fill and block
  procs = [subprocess.Popen(common + [f'--process_id={i}'], env={**_env(2), **(env or {})},
                            cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
           for i, log in enumerate(logs)]
  try:
    for p in procs:
      p.wait(timeout=240)
  finally:
    for p in procs:  # one failed process leaves the other waiting for its peer
      if p.poll() is None:
        p.kill()
        p.wait()
  outputs = []
  for i, (p, log) in enumerate(zip(procs, logs)):
    log.seek(0)
    outputs.append(log.read())
    log.close()
    assert p.returncode == 0, f'process {i} exited with {p.returncode}:\n{outputs[i][-4000:]}'
  return outputs


def _reference(config, steps):
  """The same run on 1 device of this process: the global batch of ring8 and, as
  explicit latents, what each of the 4 devices draws from (seed, step, device index).
  Returns the variables after each step."""
  state = games.create_train_state(config, jax.random.key(config.seed))
  mesh = parallel.make_mesh(jax.devices()[:1])
  step_fn = parallel.make_train_step(mesh, with_latents=True)
  state = parallel.replicate(state, mesh)
  data = input_pipeline.ring8_batches(config.batch_size, seed=config.seed)
  per_device = config.batch_size // 4
  after = {}
  for step in range(steps):
    rng = games.step_rng(config.seed, step)
    draws = [state.spec.sample(jax.random.fold_in(rng, d), per_device) for d in range(4)]
    latents = jax.tree.map(lambda *x: np.concatenate(x), *jax.device_get(draws))
    state, _ = step_fn(state, parallel.global_batch({'image': next(data)['image']}, mesh),
                       rng, parallel.global_batch(latents, mesh))
    after[step + 1] = jax.device_get(state.variables())
  return after


def _assert_matches_reference(got, reference):
  """Parameters equal up to float noise. The all-reduce sums in another order than one
  device does, and a few pre-activations sit at a leaky-ReLU kink, where such noise
  flips the slope and Adam carries the difference on: so 99% of the entries (in
  practice 99.9%) must agree at fp32 tolerance, and all of them within 1e-3. (Had the
  processes read the same rows instead of halves of the global batch, 86% of the
  entries would differ after 3 steps, the median leaf by 2e-3.)"""
  _assert_parameters_match(got, {jax.tree_util.keystr(key): value for key, value in
                                 jax.tree_util.tree_leaves_with_path(reference)})


def _assert_parameters_match(got, expected, skip=lambda name: False):
  """`_assert_matches_reference` on flat {name: array} dicts (the workers' npz files),
  without the entries `skip` names."""
  close = total = 0
  for name, value in expected.items():
    if 'params' in name and not skip(name):
      np.testing.assert_allclose(got[name], value, rtol=0, atol=1e-3, err_msg=name)
      match = np.isclose(got[name], value, rtol=1e-4, atol=1e-6)
      close, total = close + match.sum(), total + match.size
  assert close / total > 0.99, f'only {close} of {total} parameter entries match'


@pytest.mark.slow
def test_two_processes_train_checkpoint_resume_and_agree(tmp_path):
  workdir = tmp_path / 'run'
  flags = [f'--workdir={workdir}', '--config.log_every_steps=1',
           '--config.sample_every_steps=3', '--config.checkpoint_every_steps=0']
  first = _two_processes(str(tmp_path / 'first{process}.npz'), *flags,
                         '--config.num_train_steps=3')
  assert 'process 0/2: 2 local of 4 devices, step 3' in first[0]
  assert 'process 1/2: 2 local of 4 devices, step 3' in first[1]
  # Same command, longer: both processes restore step 3 and go on to 6.
  second = _two_processes(str(tmp_path / 'second{process}.npz'), *flags,
                          '--config.num_train_steps=6')
  for i, stdout in enumerate(second):
    assert 'Resuming from checkpoint at step 3' in stdout
    assert f'process {i}/2: 2 local of 4 devices, step 6' in stdout
  # Only process 0 logs and draws samples; one checkpoint per step, written jointly.
  assert 'd_loss=' in first[0] and 'd_loss=' not in first[1] + second[1]
  with open(workdir / 'metrics.jsonl') as f:
    assert [json.loads(line)['step'] for line in f] == [1, 2, 3, 4, 5, 6]
  assert sorted(os.listdir(workdir / 'samples')) == ['step_0000003.png', 'step_0000006.png']
  assert sorted(os.listdir(workdir / 'checkpoints')) == ['3', '6']

  reference = _reference(ring8.get_config(), steps=6)
  for run, step in (('first', 3), ('second', 6)):
    p0, p1 = _load(tmp_path / f'{run}0.npz'), _load(tmp_path / f'{run}1.npz')
    assert p0.keys() == p1.keys() and int(p0["['step']"]) == step
    for name in p0:  # the replicas of the two processes are one and the same
      np.testing.assert_array_equal(p0[name], p1[name], err_msg=f'{run}: {name}')
    # Each process fed its own half of the global batch: the result is the
    # single-process run on that global batch.
    _assert_matches_reference(p0, reference[step])


@pytest.mark.slow
def test_data_on_the_device_gives_two_processes_the_run_of_one(tmp_path, mock_mnist_archives):
  """MNIST kept on the device: every process holds the split and each of the 4 devices
  gathers its rows of the global batch, so 2 processes x 2 devices train as 1 x 4."""
  folder, sums = mock_mnist_archives
  flags = ['--config.data_reader=archives', f'--config.manual_dir={folder}',
           '--config.num_train_steps=3', '--config.steps_per_dispatch=3',
           '--config.log_every_steps=3', '--config.sample_every_steps=0',
           '--config.checkpoint_every_steps=0']
  env = {'TEST_MNIST_SHA256': json.dumps(sums)}
  outputs = _two_processes(str(tmp_path / 'two{process}.npz'), *flags,
                           f'--workdir={tmp_path / "two"}', config='configs/tiny.py', env=env)
  assert 'process 1/2: 2 local of 4 devices, step 3' in outputs[1]
  one = subprocess.run([sys.executable, WORKER, 'train', str(tmp_path / 'one{process}.npz'),
                        '--config=configs/tiny.py', *flags, f'--workdir={tmp_path / "one"}'],
                       env={**_env(4), **env}, cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
  assert one.returncode == 0, one.stderr[-3000:]
  assert 'process 0/1: 4 local of 4 devices, step 3' in one.stdout
  p0, p1 = _load(tmp_path / 'two0.npz'), _load(tmp_path / 'two1.npz')
  single = _load(tmp_path / 'one0.npz')
  for name in p0:
    np.testing.assert_array_equal(p0[name], p1[name], err_msg=name)
  # The conv networks' biases that feed a BatchNorm have an exactly-zero true gradient:
  # Adam turns their float noise into steps of either sign (as in test_device_data).
  _assert_parameters_match(p0, single, skip=lambda name: any(
      f"['{layer}']['bias']" in name
      for layer in ('Dense_0', 'Dense_1', 'ConvTranspose2x_0', 'Conv_1')))


def test_ring8_processes_get_disjoint_slices_of_one_global_batch():
  whole = next(input_pipeline.ring8_batches(8, seed=2, start=5))
  parts = [next(input_pipeline.ring8_batches(4, seed=2, start=5, process_index=i,
                                             process_count=2)) for i in range(2)]
  np.testing.assert_array_equal(np.concatenate([p['image'] for p in parts]), whole['image'])
  assert not np.array_equal(parts[0]['image'], parts[1]['image'])


@pytest.mark.parametrize('environ, expected', [
    ({}, False),
    ({'JAX_COORDINATOR_ADDRESS': '10.0.0.1:1234'}, True),
    ({'SLURM_JOB_ID': '7', 'SLURM_STEP_NODELIST': 'n[1-2]', 'SLURM_NTASKS': '2',
      'SLURM_PROCID': '1', 'SLURM_LOCALID': '0'}, True),
    ({'SLURM_JOB_ID': '7', 'SLURM_STEP_NODELIST': 'n1', 'SLURM_NTASKS': '1',
      'SLURM_PROCID': '0', 'SLURM_LOCALID': '0'}, False),
    ({'SLURM_JOB_ID': '7', 'SLURM_NTASKS': '4'}, False),  # sbatch script, not an srun step
    ({'OMPI_MCA_orte_hnp_uri': 'x', 'OMPI_COMM_WORLD_SIZE': '4'}, True),
])
def test_multi_process_launchers_are_detected(environ, expected):
  assert parallel._launched_by_cluster(environ) is expected


def test_single_process_does_not_start_the_distributed_runtime(monkeypatch):
  for name in list(os.environ):
    if name.startswith(_LAUNCHER_VARS):
      monkeypatch.delenv(name)
  # JAX has started already here, as when tests call train.main() in-process.
  assert parallel.initialize_distributed() is False
  assert parallel.initialize_distributed(enable=False) is False
