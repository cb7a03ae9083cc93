"""Several seeds in one call of the training loop's dispatch: under jax.vmap, or in turn.

    python benchmarks/seeds_vmap.py [--seeds=4] [--steps_per_call=1,10] [--rounds=3]

Times parallel.make_device_data_steps, the call train.py makes with
config.data_placement='device' (MNIST config, batch 128, MNIST-sized random images kept on
the device, state donated), for one seed and for S seeds in one call arranged both ways:
under jax.vmap over their stacked states (the default on accelerators) and in turn, each
seed on a state of its own (the default on CPU; parallel.seeds_in_turn). The variants alternate within each round, so the machine's
drift touches them alike. Prints ms per step and, per round, each arrangement's speed per
seed against one seed's (1.00: as fast as S separate runs); also the minor page faults per
step (with glibc's malloc, large arrays are fresh mmaps every call; host_memory.py):

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
from jax.sharding import NamedSharding, PartitionSpec as P

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from configs import mnist  # noqa: E402
from infogan_jax.data import device_data
from infogan_jax.training import parallel
from infogan_jax import games  # noqa: E402

MNIST_TRAIN = 60_000


def main():
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument('--seeds', type=int, default=4)
  p.add_argument('--steps_per_call', default='1,10', help='comma-separated k values')
  p.add_argument('--rounds', type=int, default=3)
  p.add_argument('--calls', type=int, default=4, help='calls timed per variant and round')
  args = p.parse_args()
  config = mnist.get_config()
  mesh = parallel.make_mesh()
  images = parallel.replicate(np.random.default_rng(0).integers(
      0, 256, (MNIST_TRAIN, 28, 28, 1), dtype=np.uint8), mesh)
  states = [parallel.replicate(games.create_train_state(config, jax.random.key(s)), mesh)
            for s in range(args.seeds)]

  def variant(k, seeds, in_turn):
    seed = np.arange(seeds, dtype=np.int32) if seeds > 1 else np.int32(0)
    orders = device_data.EpochOrders(seed, config.batch_size, MNIST_TRAIN, k,
                                     sharding=NamedSharding(mesh, P()))
    steps = parallel.make_device_data_steps(mesh, config.batch_size, 'tanh',
                                            stacked=seeds > 1, in_turn=in_turn)
    if seeds == 1:
      state = states[0]
    elif in_turn:
      state = tuple(states[:seeds])
    else:
      state = parallel.replicate(parallel.stack_states(states[:seeds]), mesh)
    box = {'state': jax.tree.map(jnp.copy, state), 'step': 0}   # donated by each call

    def call():   # k steps; returns when they are done
      first, epoch_orders = orders.for_steps(box['step'])
      box['state'], metrics = steps(box['state'], images, epoch_orders, np.int32(first),
                                    seed, np.int32(box['step']), k)
      box['step'] += k
      jax.block_until_ready((box['state'], metrics))
    return call

  ks = [int(k) for k in args.steps_per_call.split(',')]
  arrangements = (('one seed', 1, None), ('under vmap', args.seeds, False),
                  ('in turn', args.seeds, True))
  variants = {}
  for k in ks:
    for name, seeds, in_turn in arrangements:
      call = variant(k, seeds, in_turn)
      start = time.perf_counter()
      call()
      print(f'k={k} {name}: first call (compile and {k} steps) '
            f'{time.perf_counter() - start:.1f} s', flush=True)
      variants[(k, name)] = call
  ms = {key: [] for key in variants}
  faults = {key: [] for key in variants}
  for _ in range(args.rounds):
    for key, call in variants.items():
      before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
      start = time.perf_counter()
      for _ in range(args.calls):
        call()
      ms[key].append((time.perf_counter() - start) / (args.calls * key[0]) * 1e3)
      faults[key].append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
                         / (args.calls * key[0]))
  print(f"{jax.default_backend()}, batch {config.batch_size}, {args.seeds} seeds, LD_PRELOAD="
        f"{os.environ.get('LD_PRELOAD', '')!r}; ms per step ({args.calls} calls per round):")
  for key, per_round in ms.items():
    print(f'  k={key[0]} {key[1]}: rounds {[round(t) for t in per_round]}, median '
          f'{statistics.median(per_round):.0f}; page faults per step '
          f'{statistics.median(faults[key]):,.0f}')
  print('speed per seed against one seed (one seed ms x seeds / ms), per round:')
  for k in ks:
    for name, seeds, _ in arrangements[1:]:
      ratios = [one * seeds / many for one, many in zip(ms[(k, 'one seed')], ms[(k, name)])]
      print(f'  k={k} {name}: {[round(r, 3) for r in ratios]}, median '
            f'{statistics.median(ratios):.3f}')


if __name__ == '__main__':
  main()
