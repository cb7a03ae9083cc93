"""Benchmark: the bare train step and the real training loop, against the PyTorch reference.

    python benchmarks/train_step.py [--torch_python=/path/to/venv/bin/python]
        [--batch_sizes=64,128] [--steps=30] [--rounds=2]
        [--loops=device:1,device:10 --manual_dir=../shared/data/mnist [--data_dir=...]]

Each measurement runs in a fresh subprocess (cold compile, clean peak memory).
- The bare step: `parallel.make_train_step` on one fixed batch, timed step by step;
  images/s from the steps' total time (as the loop and the reference count).
- The loop (--loops, each `placement:steps_per_dispatch[:num_seeds]`): `loop.train` on
  real MNIST, as train.py runs it (data, step, dispatch pattern, logging every --log_every
  steps), timed by its own steps/s log without the first interval (compilation, also
  reported); its images/s (of all seeds together) is shown beside the bare step's, with
  their ratio. Each loop is also compared with its baseline in the same round (paired
  ratios, median and by round): the bare step; k steps per call with one; S seeds, per
  seed, with one seed's loop.
- The bare step's minor page faults per step, and the LD_PRELOAD in effect (every worker
  inherits it): on a Linux CPU, tcmalloc (infogan_jax/training/host_memory.py) removes the faults.
- With a PyTorch interpreter (flag or $TORCH_PYTHON) the reference
  ../shared/bench/torch_reference.py runs in the same invocation, alternating with the
  project (with --device cuda where JAX runs on a GPU), and the table shows the ratio
  project/reference of images/s per batch size (median over rounds). Without one it says so.
Writes a JSON file (--output).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_REFERENCE = os.path.join(ROOT, '..', 'shared', 'bench', 'torch_reference.py')


def _worker(batch: int, steps: int, warmup: int, precision: str) -> dict:
  """Runs inside a subprocess: times this project's step on MNIST-shaped batches."""
  import resource
  import jax
  import numpy as np
  sys.path.insert(0, ROOT)
  from configs import mnist
  from infogan_jax.training import parallel
  from infogan_jax import games
  config = mnist.get_config()
  config.batch_size = batch
  config.model.compute_dtype = precision
  mesh = parallel.make_mesh()
  state = parallel.replicate(games.create_train_state(config, jax.random.key(0)), mesh)
  step = parallel.make_train_step(mesh)
  images = np.random.default_rng(0).uniform(-1, 1, (batch, 28, 28, 1)).astype(np.float32)
  batch_arr = parallel.global_batch({'image': images}, mesh)
  start = time.perf_counter()
  state, metrics = step(state, batch_arr, games.step_rng(0, 0))
  jax.block_until_ready((state, metrics))
  compile_s = time.perf_counter() - start
  for i in range(warmup):
    state, metrics = step(state, batch_arr, games.step_rng(0, i + 1))
  jax.block_until_ready(state)
  times = []
  faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
  for i in range(steps):
    t = time.perf_counter()
    state, metrics = step(state, batch_arr, games.step_rng(0, i + 100))
    jax.block_until_ready(state)
    times.append(time.perf_counter() - t)
  faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
  # Steps over seconds, as the loop's rate and the PyTorch reference count: the median
  # step (reported too) hides the slow steps that both of those pay for.
  ms = statistics.mean(times) * 1e3
  return {'impl': 'infogan-jax', 'precision': precision, 'batch': batch,
          'ms_per_step': round(ms, 2), 'images_per_s': round(batch / ms * 1e3, 1),
          'median_ms_per_step': round(statistics.median(times) * 1e3, 2),
          'first_step_s': round(compile_s, 2), 'compiles': step._cache_size(),
          'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
          'page_faults_per_step': round(faults / steps),
          'jax': jax.__version__, 'finite': bool(np.isfinite(float(metrics['g_loss'])))}


def _loop(batch: int, steps: int, precision: str, placement: str, per_dispatch: int,
          seeds: int, log_every: int, data_dir: str, manual_dir: str) -> dict:
  """Runs inside a subprocess: times loop.train (train.py's loop) on real MNIST; with
  `seeds` > 1, that many seeds trained together (images/s counts every seed's images)."""
  import json as json_lib
  import tempfile
  sys.path.insert(0, ROOT)
  from configs import mnist
  from infogan_jax.training import loop
  from infogan_jax.training import reliability
  from infogan_jax.training import workdir as workdir_lib
  config = mnist.get_config()
  config.batch_size, config.model.compute_dtype = batch, precision
  config.data_dir, config.manual_dir = data_dir, manual_dir
  config.data_placement, config.steps_per_dispatch = placement, per_dispatch
  config.num_seeds = seeds
  # The host runs up to MAX_CALLS_IN_FLIGHT calls ahead of the device and each log waits
  # for its steps, so the device idles once per log interval while the host logs and
  # dispatches again; each timed interval holds more calls than that to dilute it. (Before
  # a log waited, an interval this short timed dispatches, not steps: 10 steps per call
  # logged every 10 steps "ran" 400x faster than the bare step on CPU.)
  log_every = max(log_every, per_dispatch * (reliability.MAX_CALLS_IN_FLIGHT + 1))
  config.log_every_steps = log_every
  # At least three timed intervals (the median of one was the noisiest number in a run).
  config.num_train_steps = log_every * (1 + max(3, steps // log_every))
  config.sample_every_steps = config.checkpoint_every_steps = 0
  with tempfile.TemporaryDirectory() as workdir:
    loop.train(config, workdir)
    log_dir = workdir_lib.seed_workdir(workdir, 0) if seeds > 1 else workdir
    with open(workdir_lib.metrics_path(log_dir)) as f:
      rates = [json_lib.loads(line)['steps_per_sec'] for line in f]
  # Steps over seconds of the timed intervals (all but the compiling first one).
  ips = statistics.harmonic_mean(rates[1:]) * batch * seeds
  return {'impl': 'loop', 'placement': placement, 'steps_per_dispatch': per_dispatch,
          'seeds': seeds, 'precision': precision, 'batch': batch, 'log_every': log_every,
          'images_per_s': round(ips, 1), 'ms_per_step': round(batch * seeds / ips * 1e3, 2),
          'first_interval_s': round(log_every / rates[0], 1), 'intervals': len(rates) - 1}


def _pipeline(batch: int, data_dir: str, manual_dir: str, batches: int = 300) -> dict:
  sys.path.insert(0, ROOT)
  from configs import mnist
  from infogan_jax.data import input_pipeline
  config = mnist.get_config()
  config.data_dir, config.manual_dir = data_dir, manual_dir
  it = input_pipeline.create_dataset(input_pipeline.DataSettings.from_config(config), batch)
  for _ in range(10):
    next(it)
  start = time.perf_counter()
  for _ in range(batches):
    next(it)
  seconds = time.perf_counter() - start
  return {'impl': 'input_pipeline', 'batch': batch,
          'images_per_s': round(batches * batch / seconds, 1)}


def _loop_kind(result: dict) -> str:
  kind = f"{result['placement']}:{result['steps_per_dispatch']}"
  return kind + (f":{result['seeds']}" if result.get('seeds', 1) > 1 else '')


def _baseline(kind: str) -> tuple[str, str] | None:
  """How loop `kind` is compared, and with which loop: several seeds with the same loop
  for one seed (images/s of all seeds: 1.0 means each seed as fast as a run alone), k
  steps per call with one step per call."""
  placement, per_dispatch, *seeds = kind.split(':')
  if seeds and int(seeds[0]) > 1:
    return 'seeds together / one seed alone', f'{placement}:{per_dispatch}'
  if int(per_dispatch) > 1:
    return 'k steps / 1 step per call', f'{placement}:1'
  return None


def paired_ratios(runs, batch: int, precision: str, kind: str,
                  baseline: str | None) -> list[float]:
  """Per round, the images/s of loop `kind` over those of `baseline` (a loop kind, or
  None: the bare step) in the same round. Both ran minutes apart at most, so the slow
  drift of a shared machine cancels, which the ratio of medians over rounds does not do."""
  def ips(r, k):
    return next((x['images_per_s'] for x in runs if x['round'] == r and x['batch'] == batch
                 and x.get('precision') == precision
                 and ((k is None and x['impl'] == 'infogan-jax')
                      or (x['impl'] == 'loop' and _loop_kind(x) == k))), None)
  rounds = sorted({x['round'] for x in runs})
  pairs = [(ips(r, kind), ips(r, baseline)) for r in rounds]
  return [round(a / b, 3) for a, b in pairs if a and b]


def _subprocess_json(cmd) -> dict:
  out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, 'TF_CPP_MIN_LOG_LEVEL': '3'})
  if out.returncode:
    raise RuntimeError(f'{" ".join(cmd)} failed:\n{out.stderr[-3000:]}')
  return json.loads(out.stdout.strip().splitlines()[-1])


def main():
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument('--batch_sizes', default='64,128')
  p.add_argument('--steps', type=int, default=30)
  p.add_argument('--warmup', type=int, default=3)
  p.add_argument('--rounds', type=int, default=2)
  p.add_argument('--precision', default='float32', help="'float32', 'bfloat16' or both: 'float32,bfloat16'")
  p.add_argument('--torch_python', default=os.environ.get('TORCH_PYTHON', ''))
  p.add_argument('--torch_reference', default=DEFAULT_REFERENCE)
  p.add_argument('--torch_threads', type=int, default=os.cpu_count() or 0)
  p.add_argument('--loops', default='',
                 help="training loops to time, e.g. 'host:1,device:1,device:10,device:10:4' "
                      '(config.data_placement:config.steps_per_dispatch[:config.num_seeds]);'
                      ' needs MNIST')
  p.add_argument('--log_every', type=int, default=10, help='the loops\' log interval')
  p.add_argument('--torch_device', default='',
                 help="the reference's device; default: 'cuda' where JAX runs on a GPU")
  p.add_argument('--data_dir', default='', help='TFDS data_dir, to time the input pipeline')
  p.add_argument('--manual_dir', default='', help='the MNIST archives (offline)')
  p.add_argument('--output', default=os.path.join(ROOT, 'benchmarks', 'results.json'))
  p.add_argument('--_worker', nargs=4, metavar=('KIND', 'BATCH', 'STEPS', 'PRECISION'),
                 help=argparse.SUPPRESS)
  args = p.parse_args()

  if args._worker:
    kind, batch, steps, precision = args._worker
    if kind == 'step':
      result = _worker(int(batch), int(steps), args.warmup, precision)
    elif kind.startswith('loop'):
      _, placement, per_dispatch, *seeds = kind.split(':')
      result = _loop(int(batch), int(steps), precision, placement, int(per_dispatch),
                     int(seeds[0]) if seeds else 1, args.log_every, args.data_dir,
                     args.manual_dir)
    else:
      result = _pipeline(int(batch), args.data_dir, args.manual_dir)
    print(json.dumps(result))
    return

  batches = [int(b) for b in args.batch_sizes.split(',')]
  precisions = args.precision.split(',')
  loops = [x for x in args.loops.split(',') if x]
  torch_device = args.torch_device
  if not torch_device:
    import jax
    torch_device = 'cuda' if jax.default_backend() == 'gpu' else 'cpu'
  torch_ok = bool(args.torch_python) and os.path.exists(args.torch_reference)
  if not torch_ok:
    print('No PyTorch interpreter given (--torch_python or $TORCH_PYTHON): reporting the '
          "project's numbers only. See ../shared/bench/README.md to set one up.")
  runs = []
  for r in range(args.rounds):
    for batch in batches:
      for precision in precisions:
        res = _subprocess_json([sys.executable, __file__, '--_worker', 'step', str(batch),
                                str(args.steps), precision, f'--warmup={args.warmup}'])
        res['round'] = r
        runs.append(res)
        print(json.dumps(res), flush=True)
        for kind in loops:
          res = _subprocess_json([sys.executable, __file__, '--_worker', f'loop:{kind}',
                                  str(batch), str(args.steps), precision,
                                  f'--log_every={args.log_every}',
                                  f'--data_dir={args.data_dir}',
                                  f'--manual_dir={args.manual_dir}'])
          res['round'] = r
          runs.append(res)
          print(json.dumps(res), flush=True)
      if torch_ok:
        cmd = [args.torch_python, args.torch_reference, '--batch', str(batch),
               '--steps', str(args.steps), '--warmup', str(args.warmup),
               '--device', torch_device]
        if args.torch_threads:
          cmd += ['--threads', str(args.torch_threads)]
        res = _subprocess_json(cmd)
        res['round'] = r
        runs.append(res)
        print(json.dumps(res), flush=True)
  pipeline = None
  if (args.data_dir or args.manual_dir) and importlib.util.find_spec('tensorflow_datasets'):
    pipeline = _subprocess_json([sys.executable, __file__, '--_worker', 'pipeline',
                                 str(max(batches)), '0', 'float32',
                                 f'--data_dir={args.data_dir}', f'--manual_dir={args.manual_dir}'])
    print(json.dumps(pipeline), flush=True)

  def median(impl, batch, key, precision=None, loop_kind=None):
    vals = [x[key] for x in runs if x['impl'] == impl and x['batch'] == batch
            and (precision is None or x.get('precision') == precision)
            and (loop_kind is None or _loop_kind(x) == loop_kind)]
    return round(statistics.median(vals), 2) if vals else None

  rows, paired = [], []
  for batch in batches:
    ref = median('torch', batch, 'images_per_s') if torch_ok else None
    for precision in precisions:
      ips = median('infogan-jax', batch, 'images_per_s', precision)
      rows.append({
          'batch': batch, 'precision': precision, 'images_per_s': ips,
          'ms_per_step': median('infogan-jax', batch, 'ms_per_step', precision),
          'first_step_s': median('infogan-jax', batch, 'first_step_s', precision),
          'peak_rss_mb': median('infogan-jax', batch, 'peak_rss_mb', precision),
          'page_faults_per_step': median('infogan-jax', batch, 'page_faults_per_step',
                                         precision),
          'torch_images_per_s': ref,
          'ratio': round(ips / ref, 2) if ref else None})
      for kind in loops:
        loop_ips = median('loop', batch, 'images_per_s', precision, kind)
        rows[-1][f'loop {kind} images/s'] = loop_ips
        rows[-1][f'loop {kind} / bare'] = round(loop_ips / ips, 3) if loop_ips else None
        comparisons = [('loop / bare step', None)]
        baseline = _baseline(kind)
        if baseline and baseline[1] in loops:
          comparisons.append(baseline)
        for name, baseline in comparisons:
          by_round = paired_ratios(runs, batch, precision, kind, baseline)
          if by_round:
            paired.append({'batch': batch, 'precision': precision, 'loop': kind,
                           'against': baseline or 'bare step', 'how': name,
                           'median': statistics.median(by_round), 'by_round': by_round})
  machine = {'cpus': os.cpu_count(), 'platform': platform.platform(),
             'torch_device': torch_device,
             # The host allocator (infogan_jax/training/host_memory.py), inherited by every worker.
             'ld_preload': os.environ.get('LD_PRELOAD', ''),
             'processor': platform.processor() or platform.machine(),
             'python': platform.python_version(),
             'jax': next((x['jax'] for x in runs if 'jax' in x), None),
             'torch': next((x['torch'] for x in runs if 'torch' in x), None),
             'date': time.strftime('%Y-%m-%d')}
  print(f'\nmachine: {machine}')
  loop_columns = [c for kind in loops for c in (f'loop {kind} images/s', f'loop {kind} / bare')]
  print('| batch | precision | bare step images/s | ms/step | first step (s) | peak RSS (MB) | '
        'page faults/step | '
        + ''.join(f'{c} | ' for c in loop_columns)
        + f'torch ({torch_device}) images/s | bare / torch |')
  print('|---' * (9 + len(loop_columns)) + '|')
  for row in rows:
    print('| {batch} | {precision} | {images_per_s} | {ms_per_step} | {first_step_s} | '
          '{peak_rss_mb} | {page_faults_per_step} | '.format(**row)
          + ''.join(f'{row[c]} | ' for c in loop_columns)
          + '{torch_images_per_s} | {ratio} |'.format(**row))
  if paired:
    print('\nloops paired with their baseline in each round (median; by round):')
    for x in paired:
      print(f"  batch {x['batch']} {x['precision']}: {x['loop']} / {x['against']} "
            f"({x['how']}): {x['median']:.3f}; {x['by_round']}")
  if pipeline:
    print(f'input pipeline: {pipeline["images_per_s"]} images/s at batch {pipeline["batch"]}')
  with open(args.output, 'w') as f:
    json.dump({'machine': machine, 'rows': rows, 'paired': paired, 'runs': runs,
               'pipeline': pipeline}, f,
              indent=2)
  print(f'wrote {args.output}')


if __name__ == '__main__':
  main()
