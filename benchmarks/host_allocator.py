"""Benchmark: the bare MNIST train step on a CPU under three host allocators, in one run.

    python benchmarks/host_allocator.py [--rounds=3] [--steps=30] [--batch_size=128]

glibc's malloc as it comes, glibc set to keep freed memory (host_memory.keep_freed_memory,
train.py's default), and tcmalloc preloaded (when installed): each in a fresh subprocess,
the three alternating round by round; images/s and minor page faults per step of each, and
each one's images/s as a ratio to glibc's in the same round (median over rounds).
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


def main():
  from infogan_jax.training import host_memory
  parser = argparse.ArgumentParser()
  parser.add_argument('--rounds', type=int, default=3)
  parser.add_argument('--steps', type=int, default=30)
  parser.add_argument('--batch_size', type=int, default=128)
  args = parser.parse_args()
  tcmalloc = host_memory.find_tcmalloc()
  modes = ['glibc', 'kept'] + (['tcmalloc'] if tcmalloc else [])
  if not tcmalloc:
    print(f'tcmalloc not found ({host_memory.INSTALL_HINT}): measuring glibc only')
  rows = {m: [] for m in modes}
  for r in range(args.rounds):
    for m in modes:
      rows[m].append(measure(m, args.steps, args.batch_size, tcmalloc))
      print(f'round {r} {m:9s} {rows[m][-1]["images_per_s"]:7.0f} images/s '
            f'{rows[m][-1]["faults_per_step"]:8.0f} faults/step', flush=True)
  print(f'\nbatch {args.batch_size}, {args.steps} steps, median of {args.rounds} rounds:')
  for m in modes:
    ratio = statistics.median(a['images_per_s'] / g['images_per_s']
                              for a, g in zip(rows[m], rows['glibc']))
    print(f'  {m:9s} {statistics.median(x["images_per_s"] for x in rows[m]):7.0f} images/s, '
          f'{statistics.median(x["faults_per_step"] for x in rows[m]):8.0f} faults/step, '
          f'{ratio:.2f}x glibc')


if __name__ == '__main__':
  main()
