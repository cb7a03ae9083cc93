"""Several seeds' train steps in one program: under jax.vmap, or one after another.

    python benchmarks/seeds_vmap.py [--seeds=4] [--rounds=3] [--timings=8]

Prints the median ms per call of: one seed's step; S seeds' steps under jax.vmap (how
config.num_seeds trains them, parallel.make_device_data_steps); the same S steps one after
another in one program (how that function trained them on CPU before D's convolutions became
matrix products, layers.Conv2x). MNIST config, batch 128, one fixed batch per seed.
Also the minor page faults per call: with glibc's malloc the stacked arrays of several
seeds are fresh mmaps every call; preloading tcmalloc removes them (host_memory.py):

    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 python benchmarks/seeds_vmap.py
"""
import argparse
import os
import resource
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from configs import mnist  # noqa: E402
from infogan_jax import step as step_lib  # noqa: E402


def main():
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument('--seeds', type=int, default=4)
  p.add_argument('--rounds', type=int, default=3)
  p.add_argument('--timings', type=int, default=8, help='calls timed per variant and round')
  args = p.parse_args()
  seeds = args.seeds
  config = mnist.get_config()
  states = [step_lib.create_train_state(config, jax.random.key(s)) for s in range(seeds)]
  # One tree structure for all (each state's optimizer is a distinct, equal object).
  treedef = jax.tree.structure(states[0])
  leaves = [jax.tree.leaves(state) for state in states]
  states = [jax.tree.unflatten(treedef, x) for x in leaves]
  stacked = jax.tree.unflatten(treedef, [jnp.stack(x) for x in zip(*leaves)])
  images = jnp.asarray(np.random.default_rng(0).uniform(
      -1, 1, (seeds, config.batch_size, 28, 28, 1)).astype(np.float32))
  rngs = jnp.stack([step_lib.step_rng(s, 0) for s in range(seeds)])

  def seed_step(state, image, rng):
    return step_lib.train_step(state, {'image': image}, rng)

  def one_after_another(state, image, rng):
    outs = [seed_step(jax.tree.map(lambda x: x[i], state), image[i], rng[i])
            for i in range(seeds)]
    return jax.tree.map(lambda *x: jnp.stack(x), *outs)

  variants = (('one seed', jax.jit(seed_step), (states[0], images[0], rngs[0])),
              (f'{seeds} seeds under vmap', jax.jit(jax.vmap(seed_step)), (stacked, images, rngs)),
              (f'{seeds} seeds one after another', jax.jit(one_after_another),
               (stacked, images, rngs)))
  times = {name: [] for name, _, _ in variants}
  faults = {name: [] for name, _, _ in variants}
  for _ in range(args.rounds):
    for name, fn, fn_args in variants:
      jax.block_until_ready(fn(*fn_args))   # compiled (first round) and warm
      calls = []
      before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
      for _ in range(args.timings):
        start = time.perf_counter()
        jax.block_until_ready(fn(*fn_args))
        calls.append(time.perf_counter() - start)
      faults[name].append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
                          / args.timings)
      times[name].append(statistics.median(calls) * 1e3)
  print(f'{jax.default_backend()}, batch {config.batch_size}, LD_PRELOAD='
        f"{os.environ.get('LD_PRELOAD', '')!r}, ms per call (median of {args.timings} per "
        'round):')
  for name, per_round in times.items():
    print(f'  {name}: rounds {[round(t) for t in per_round]}, median '
          f'{statistics.median(per_round):.0f}; page faults per call '
          f'{statistics.median(faults[name]):,.0f}')


if __name__ == '__main__':
  main()
