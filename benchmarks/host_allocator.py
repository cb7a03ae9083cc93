"""Benchmark: the bare MNIST train step on a CPU under three host allocators, in one run.

    python benchmarks/host_allocator.py [--rounds=3] [--steps=30] [--batch_size=128]
        [--torch_python=/path/to/venv/bin/python]

glibc's malloc as it comes, glibc set to keep freed memory (host_memory.keep_freed_memory,
train.py's default), and tcmalloc preloaded (when installed): each in a fresh subprocess,
the three alternating round by round; images/s and minor page faults per step of each, and
each one's images/s as a ratio to glibc's in the same round (median over rounds). With a
PyTorch interpreter (flag or $TORCH_PYTHON), the reference ../shared/bench/torch_reference.py
(same step, batch and threads) runs in each round too, and each allocator's images/s is also
given as a ratio to the reference's in the same round.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from benchmarks import train_step  # noqa: E402

REFERENCE = train_step.DEFAULT_REFERENCE

WORKER = '''
import json, resource, sys, time
sys.path.insert(0, {root!r})
from infogan_jax.training import host_memory
kept = host_memory.keep_freed_memory() if {mode!r} == 'kept' else False
import jax
import numpy as np
from configs import mnist
from infogan_jax import games
state = games.create_train_state(mnist.get_config(), jax.random.key(0))
step = jax.jit(games.train_step, donate_argnums=0)
batch = {{'image': np.random.default_rng(0).uniform(-1, 1, ({batch}, 28, 28, 1)).astype(np.float32)}}
for i in range(5):
  state, metrics = step(state, batch, games.step_rng(0, i))
  jax.block_until_ready(metrics)
faults, start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter()
for i in range({steps}):
  state, metrics = step(state, batch, games.step_rng(0, i))
  jax.block_until_ready(metrics)
seconds = time.perf_counter() - start
print(json.dumps({{'kept': kept, 'images_per_s': {steps} * {batch} / seconds,
                  'faults_per_step': (resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                                      - faults) / {steps}}}))
'''


def measure(mode: str, steps: int, batch: int, tcmalloc) -> dict:
  env = {k: v for k, v in os.environ.items() if k != 'LD_PRELOAD'}
  if mode == 'tcmalloc':
    env['LD_PRELOAD'] = tcmalloc
  code = WORKER.format(root=ROOT, mode=mode, steps=steps, batch=batch)
  out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                       check=True).stdout
  return json.loads(out.strip().splitlines()[-1])


def measure_reference(python: str, steps: int, batch: int) -> dict:
  """The PyTorch reference's images/s, on as many threads as this machine has cores."""
  cmd = [python, REFERENCE, '--batch', str(batch), '--steps', str(steps),
         '--threads', str(os.cpu_count() or 1)]
  out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
  result = json.loads(out.strip().splitlines()[-1])
  return {'images_per_s': result['images_per_s'], 'faults_per_step': None}   # not counted


def main():
  from infogan_jax.training import host_memory
  parser = argparse.ArgumentParser()
  parser.add_argument('--rounds', type=int, default=3)
  parser.add_argument('--steps', type=int, default=30)
  parser.add_argument('--batch_size', type=int, default=128)
  parser.add_argument('--torch_python', default=os.environ.get('TORCH_PYTHON', ''))
  args = parser.parse_args()
  tcmalloc = host_memory.find_tcmalloc()
  modes = ['glibc', 'kept'] + (['tcmalloc'] if tcmalloc else [])
  if not tcmalloc:
    print(f'tcmalloc not found ({host_memory.INSTALL_HINT}): measuring glibc only')
  if args.torch_python and not os.path.exists(REFERENCE):
    sys.exit(f'--torch_python given but the reference {REFERENCE} is missing')
  reference = ['torch'] if args.torch_python else []
  if not reference:
    print('no --torch_python (or $TORCH_PYTHON): no ratio to the PyTorch reference')
  rows = {m: [] for m in modes + reference}

  def faults(results):   # the median, or '-' for the reference (not counted)
    counts = [x['faults_per_step'] for x in results if x['faults_per_step'] is not None]
    return f'{statistics.median(counts):8.0f}' if counts else f'{"-":>8s}'
  for r in range(args.rounds):
    for m in modes + reference:
      rows[m].append(measure_reference(args.torch_python, args.steps, args.batch_size)
                     if m == 'torch' else measure(m, args.steps, args.batch_size, tcmalloc))
      print(f'round {r} {m:9s} {rows[m][-1]["images_per_s"]:7.0f} images/s '
            f'{faults([rows[m][-1]])} faults/step', flush=True)

  def ratio(m, to):   # median over rounds of the same round's ratio
    return statistics.median(a['images_per_s'] / b['images_per_s']
                             for a, b in zip(rows[m], rows[to]))
  print(f'\nbatch {args.batch_size}, {args.steps} steps, median of {args.rounds} rounds:')
  for m in modes + reference:
    vs_torch = f', {ratio(m, "torch"):.2f}x PyTorch' if reference else ''
    print(f'  {m:9s} {statistics.median(x["images_per_s"] for x in rows[m]):7.0f} images/s, '
          f'{faults(rows[m])} faults/step, '
          f'{ratio(m, "glibc"):.2f}x glibc{vs_torch}')


if __name__ == '__main__':
  main()
