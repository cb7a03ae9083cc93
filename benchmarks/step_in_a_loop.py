"""How fast XLA runs the train step inside a loop (lax.scan) against on its own.

    python benchmarks/step_in_a_loop.py

Prints ms per step, four timings per variant, two rounds: the bare step, a scan of one
step (rolled and unrolled) and a scan of four steps (unrolled and rolled), MNIST config at
batch 128 on one fixed batch. On XLA's CPU backend the rolled scan once ran about 6 times
slower (2026-11-26, while D's stride-2 convolutions were still convolutions), and
parallel.make_device_data_steps unrolled its steps there; since they became matrix products
(layers.Conv2x) the rolled scan runs as fast as the bare step and compiles faster, and the
steps stay a loop everywhere (docs/performance.md).
"""
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import PartitionSpec as P

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from configs import mnist  # noqa: E402
from infogan_jax.training import parallel
from infogan_jax import games  # noqa: E402


def main():
  config = mnist.get_config()
  mesh = parallel.make_mesh()

  def fresh():
    return parallel.replicate(games.create_train_state(config, jax.random.key(0)), mesh)

  images = np.random.default_rng(0).uniform(-1, 1, (128, 28, 28, 1)).astype(np.float32)
  batch = parallel.global_batch({'image': images}, mesh)
  bare = parallel.make_train_step(mesh)

  def scanner(k, unroll):
    def per_device(state, b, first):
      def one(state, s):
        return games.train_step(state, b, games.step_rng(0, s), axis_name=parallel.AXIS)
      return jax.lax.scan(one, state, first + jnp.arange(k), unroll=unroll)
    return jax.jit(jax.shard_map(per_device, mesh=mesh, in_specs=(P(), P(parallel.AXIS), P()),
                                 out_specs=(P(), P())), donate_argnums=0)

  variants = {'bare step': (1, lambda st, i: bare(st, batch, games.step_rng(0, i)))}
  for k, unroll in [(1, 1), (1, True), (4, True), (4, 1)]:
    f = scanner(k, unroll)
    variants[f'scan of {k}, unroll={unroll}'] = (k, lambda st, i, f=f: f(st, batch, np.int32(i)))
  states = {}
  for name, (k, fn) in variants.items():
    state = fresh()
    start = time.perf_counter()
    state, _ = fn(state, 0)
    jax.block_until_ready(state)
    print(f'{name}: first call (compile) {time.perf_counter() - start:.1f} s', flush=True)
    states[name] = state
  for rnd in range(2):
    for name, (k, fn) in variants.items():
      state, times = states[name], []
      for i in range(4):
        start = time.perf_counter()
        state, _ = fn(state, i + 1)
        jax.block_until_ready(state)
        times.append((time.perf_counter() - start) / k * 1e3)
      states[name] = state
      print(f'round {rnd} {name}: ' + ', '.join(f'{t:.0f}' for t in times) + ' ms/step',
            flush=True)


if __name__ == '__main__':
  main()
