"""Data parallelism over every device of every process: the per-device `train_step`
under `jax.shard_map` on a one-axis mesh, and JAX's distributed runtime for several hosts.

shard_map, not pmap. `jax.pmap` is the legacy API (in current JAX it is itself a wrapper
around shard_map with check_vma=False). With shard_map the parameters stay ordinary
global arrays, replicated over the mesh (`P()`), so checkpoints, sampling, evaluation
and the single-device path all see the same pytrees, and one jitted program spans
several processes; the batch is sharded along its first axis (`P(AXIS)`). Inside,
the game's `train_step(..., axis_name=AXIS)` averages gradients, BatchNorm statistics and metrics
with `lax.pmean`, and BatchNorm normalises with the statistics of the global batch.

check_vma stays on (the default): JAX then proves that every output declared
replicated (`out_specs=P()`: the whole new state and the metrics) really is
device-invariant, i.e. was all-reduced. It also changes what a gradient of a replicated
input means (summed over devices): `games.common.per_device` accounts for that, and
tests/test_parallel.py checks that 4 devices give the parameters of 1 device.

One device is a mesh of size 1: the same code. Several hosts: call
`initialize_distributed` before anything touches a device; then `jax.devices()` lists
the devices of all processes, each process feeds its own slice of the global batch
(`global_batch`), and all of them run the same step.
"""
from __future__ import annotations

import functools
import os

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

from infogan_jax.data import device_data
from infogan_jax.data import semi_supervised
from infogan_jax import games, streams

AXIS = 'batch'


def make_mesh(devices=None) -> jax.sharding.Mesh:
  """A one-axis mesh; by default every device of every process.

  Devices are ordered by process, so that each process's devices hold a contiguous
  block of the global batch (what `global_batch` assembles).
  """
  if devices is None:
    devices = sorted(jax.devices(), key=lambda d: (d.process_index, d.id))
  return jax.sharding.Mesh(np.asarray(devices), (AXIS,))


def _per_device_step(state, batch, rng, latents):
  # Each device draws its own latents from (seed, step, device index): the step's key
  # with the device's position on the global mesh folded in.
  if latents is None:
    rng = streams.device_key(rng, jax.lax.axis_index(AXIS))
  return games.train_step(state, batch, rng, latents=latents, axis_name=AXIS)


def make_train_step(mesh, with_latents: bool = False):
  """A jitted, state-donating step over `mesh`: (state, batch, rng[, latents]) -> (state, metrics).

  With `with_latents`, the caller passes the global batch of latents (sharded like the
  batch), which makes runs on different device counts comparable.
  """
  batch_spec = P(AXIS)
  if with_latents:
    fn = _per_device_step
    in_specs = (P(), batch_spec, P(), batch_spec)
  else:
    fn = functools.partial(_per_device_step, latents=None)
    in_specs = (P(), batch_spec, P())
  sharded = jax.shard_map(fn, mesh=mesh, in_specs=in_specs, out_specs=(P(), P()),
                          check_vma=True)
  return jax.jit(sharded, donate_argnums=0)


def seeds_in_turn() -> bool:
  """Whether several seeds trained in one call take their steps in turn, each on a state
  of its own (on CPU), or together under jax.vmap over their stacked states (elsewhere,
  where vmap batches their work for the accelerator). On CPU, vmap's batched matrix
  products ran slower per seed than one seed's, and vmapped seeds trained 3-5% slower per
  seed than one seed alone (docs/performance.md)."""
  return jax.default_backend() == 'cpu'


def stack_states(states):
  """The seeds' TrainStates as one, their arrays stacked on a leading axis (the networks
  and optimizers, built from configs that differ only in the seed, are the first's)."""
  return states[0].replace(**_stack_trees([s.variables() for s in states]))


def make_device_data_steps(mesh, batch_size: int, output_activation: str,
                           stacked: bool = False, in_turn=None):
  """A jitted, state-donating call running several steps on data kept on the device:
  (state, images_uint8, orders, first_epoch, seed, first_step, num_steps[, labelled]) ->
  (state, metrics), each metric stacked over the steps ([num_steps]); `num_steps` is
  static (one program per length).

  `labelled` (ss-InfoGAN; semi_supervised.py): {'arrays': LabelledData.device_arrays,
  'draws': LabelledData.draws of these steps}, replicated; a labelled step's batch is
  gathered from those images instead, with its labels.

  `images_uint8` is the whole training split and `orders` the epoch orders the steps need
  (device_data.EpochOrders), both replicated over `mesh`; or, for a game of several image
  domains (CycleGAN), dicts {batch key: the domain's split} and {batch key: its orders},
  with `first_epoch` a dict too: each batch key gets its domain's batch. Step s gathers its global batch
  from them (device_data.batch), each device its own rows, and draws its latents from
  (seed, s, device index) exactly as `make_train_step`'s callers do.

  `stacked`: several seeds at once: `seed` is a vector, `orders` has a leading seed axis,
  and each seed's step is the step it takes alone. With `in_turn` (default:
  seeds_in_turn(), true on CPU) `state` is a tuple of the seeds' states, which take their
  steps one after another; otherwise their states are stacked on a leading axis
  (stack_states) and step together under jax.vmap. Metrics are then [num_steps, seeds].
  """
  rows = batch_size // mesh.size
  in_turn = stacked and (seeds_in_turn() if in_turn is None else in_turn)

  def per_device(state, images, orders, first_epoch, seed, first_step, labelled,
                 num_steps):
    device = jax.lax.axis_index(AXIS)

    def seed_step(state, seed, orders, labelled, step):
      def gather(images, orders, first_epoch):
        return device_data.batch(images, orders, first_epoch, step, batch_size,
                                 output_activation, start=device * rows, rows=rows)
      if isinstance(images, dict):
        batch = {key: gather(images[key], orders[key], first_epoch[key]) for key in images}
      else:
        batch = {'image': gather(images, orders, first_epoch)}
      if labelled is not None:
        batch = semi_supervised.device_batch(batch['image'], labelled['arrays'],
                                             labelled['draws'], step - first_step,
                                             device * rows, rows, output_activation)
      rng = streams.device_key(streams.step_key(seed, step), device)
      return games.train_step(state, batch, rng, axis_name=AXIS)

    def one_step(state, step):
      if in_turn:   # state: a tuple of the seeds' states
        outs = [seed_step(s, seed[i], seed_part(orders, i), seed_part(labelled, i), step)
                for i, s in enumerate(state)]
        return tuple(s for s, _ in outs), _stack_trees([m for _, m in outs])
      if stacked:
        return jax.vmap(seed_step, in_axes=(0, 0, 0, 0, None))(state, seed, orders,
                                                               labelled, step)
      return seed_step(state, seed, orders, labelled, step)

    if num_steps == 1:
      state, metrics = one_step(state, first_step)
      metrics = jax.tree.map(lambda m: m[None], metrics)
    else:
      state, metrics = jax.lax.scan(one_step, state,
                                    first_step + jnp.arange(num_steps, dtype=jnp.int32))
    return state, metrics

  def call(state, images, orders, first_epoch, seed, first_step, num_steps, labelled=None):
    sharded = jax.shard_map(functools.partial(per_device, num_steps=num_steps), mesh=mesh,
                            in_specs=(P(),) * 7, out_specs=(P(), P()), check_vma=True)
    return sharded(state, images, orders, first_epoch, seed, first_step, labelled)

  return jax.jit(call, donate_argnums=0, static_argnums=6)


def seed_part(seeds, i):
  """Seed i's part of several seeds' trees: the i-th of a tuple (states stepping in turn),
  or row i of a tree whose arrays are stacked over seeds (None stays None)."""
  if isinstance(seeds, tuple):
    return seeds[i]
  return jax.tree.map(lambda x: x[i], seeds)


def _stack_trees(trees):
  return jax.tree.map(lambda *x: jnp.stack(x), *trees)


def replicate(tree, mesh):
  return jax.device_put(tree, NamedSharding(mesh, P()))


def global_batch(local_batch, mesh):
  """Assembles this process's numpy batch into a global array sharded over `mesh`.

  Every process passes its own rows (batch_size / process_count of them); the result
  has the global batch size.
  """
  sharding = NamedSharding(mesh, P(AXIS))
  return jax.tree.map(lambda x: jax.make_array_from_process_local_data(sharding, x),
                      local_batch)


# --- several processes ---------------------------------------------------------------
def _launched_by_cluster(environ=os.environ) -> bool:
  """True when a launcher that jax.distributed.initialize() auto-detects started this
  process as one of several: JAX_COORDINATOR_ADDRESS set, a Slurm job step (srun) with
  more than one task, or Open MPI (mpirun) with more than one rank."""
  if environ.get('JAX_COORDINATOR_ADDRESS'):
    return True
  slurm = ('SLURM_JOB_ID', 'SLURM_STEP_NODELIST', 'SLURM_NTASKS', 'SLURM_PROCID',
           'SLURM_LOCALID')
  if all(v in environ for v in slurm) and int(environ['SLURM_NTASKS']) > 1:
    return True
  return ('OMPI_MCA_orte_hnp_uri' in environ
          and int(environ.get('OMPI_COMM_WORLD_SIZE', '1')) > 1)


def initialize_distributed(coordinator_address=None, num_processes=None, process_id=None,
                           enable=None) -> bool:
  """Starts JAX's distributed runtime if this process is one of several; True if it did.

  Must run before anything touches a device. `enable=None` decides from the arguments
  (any of them given) and the environment (`_launched_by_cluster`); `enable=True`
  always calls `jax.distributed.initialize` (e.g. on Cloud TPU pods or Kubernetes,
  where it finds everything itself); `enable=False` never does. Arguments left None
  are auto-detected by JAX (JAX_COORDINATOR_ADDRESS, Slurm, Open MPI, TPU metadata).
  On CPU, cross-process collectives use gloo unless another implementation is set.
  """
  explicit = any(v is not None for v in (coordinator_address, num_processes, process_id))
  if enable is None:
    enable = explicit or _launched_by_cluster()
  if not enable:
    return False
  if getattr(jax.config, 'jax_cpu_collectives_implementation', 'gloo') is None:
    jax.config.update('jax_cpu_collectives_implementation', 'gloo')
  jax.distributed.initialize(coordinator_address=coordinator_address,
                             num_processes=num_processes, process_id=process_id)
  return True
