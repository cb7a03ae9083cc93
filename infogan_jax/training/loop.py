"""The training loop: data, resume, steps, logging, samples, checkpoints; one seed, or
several trained together (config.num_seeds).

`train(config, workdir)` is what train.py calls. Re-running it on the same
workdir resumes from the last checkpoint; the step RNG is fold_in(key(seed), step) and
the data order is a function of (seed, step), so a resumed run follows the same path
(bitwise on CPU: a run killed and resumed any number of times ends with the parameters
of an uninterrupted one; tests/test_reliability.py checks this with SIGKILL).

Interruptions and faults (stop_signals.py, reliability.py, workdir.py): SIGTERM/SIGINT
save a checkpoint at the current step and return; NaN/Inf losses or gradients stop the
run before the next save (or skip the update, config.on_nonfinite='skip'); a workdir
holding a run of another config is refused unless restart=True.
"""
from __future__ import annotations

import contextlib
import functools
import os
import time
from typing import Optional

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

from infogan_jax.training import checkpointing
from infogan_jax.settings import config_validation
from infogan_jax.data import device_data
from infogan_jax.data import input_pipeline
from infogan_jax.networks import models
from infogan_jax.training import parallel
from infogan_jax.data import semi_supervised
from infogan_jax.evaluation import plotting
from infogan_jax.training import reliability
from infogan_jax.training import stop_signals
from infogan_jax import games, streams
from infogan_jax.training import workdir as workdir_lib
from infogan_jax.errors import CheckpointError, ConfigError, WorkdirError
from infogan_jax.training.metric_logging import MetricLogger


SAMPLE_TRANSLATIONS = 10   # CycleGAN's samples: this many test images of each domain


def save_samples(state, config, workdir: str, step: int) -> str:
  """workdir/samples/step_<step>.png: rows = values of the first categorical code,
  columns = noise draws (points coloured by category for 2-D data); for CycleGAN, test
  images of both domains with their translations and reconstructions."""
  # A host copy: only process 0 draws samples, so it must not run computations on the
  # state's arrays, which span the devices of every process.
  state = jax.device_get(state)
  path = workdir_lib.sample_path(workdir, step)
  if games.name(config) == 'cyclegan':   # the first test images of both domains, translated
    data = input_pipeline.DataSettings.from_config(config)
    x, y = (input_pipeline.load_split_arrays(d, 'test')[0][:SAMPLE_TRANSLATIONS]
            for d in (data, data.second_domain()))
    return plotting.translations(functools.partial(games.translate, state), x, y, path,
                                 title=f'step {step}: test images and their translations')
  rng = jax.random.key(config.seed + 1)  # the same noise columns at every step
  generate = functools.partial(games.generate, state)
  if config.dataset == 'ring8':
    real = next(input_pipeline.ring8_batches(2000, seed=config.seed))['image']
    return plotting.scatter_samples(generate, state.spec, rng, path, real=real,
                                    title=f'step {step}: colour = categorical code')
  return plotting.category_samples(generate, state.spec, rng, path,
                                   models.output_range(config.model.output_activation),
                                   title=f'step {step}: rows = categorical code 0'
                                   if state.spec.categorical else f'step {step}: samples')


def train(config, workdir: str, restart: bool = False,
          stop: Optional[stop_signals.StopSignals] = None):
  """Trains (or resumes) in `workdir`; returns the final TrainState (with config.num_seeds
  > 1: the seeds' states stacked on a leading axis).

  A workdir holding a run of another config is refused (errors.WorkdirError) unless
  `restart=True`, which moves that run to workdir/replaced_<time>/. SIGTERM or SIGINT
  ends the run after the current step with a checkpoint at that step, and this function
  returns normally: while it runs, or from the moment `stop` (active StopSignals, which
  train.py installs first thing) was entered. Errors the user can fix are
  errors.UserError, with a message naming the cause.

  config.num_seeds = S > 1 trains seeds config.seed .. config.seed + S - 1 in one program
  (in turn on CPU, under jax.vmap elsewhere: parallel.seeds_in_turn), each in its own workdir,
  workdir_lib.seed_workdir(workdir, seed): a complete run of that seed alone
  (config.json with num_seeds = 1), which eval.py, infogan_jax.load and train.py read
  like any other.
  """
  workdir = os.path.expanduser(workdir)   # `--workdir=~/runs/x` reaches us unexpanded
  mesh = parallel.make_mesh()
  # The run records (config.json) the data route it takes, 'auto' resolved.
  config = input_pipeline.resolve(config_validation.validate(config, num_devices=mesh.size))
  data = input_pipeline.DataSettings.from_config(config)   # the data's typed settings, once
  input_pipeline.check_available(data)  # fails fast when offline without the data
  is_lead = jax.process_index() == 0
  stacked = config.num_seeds > 1

  with contextlib.ExitStack() as cleanup:
    if stop is None:
      stop = cleanup.enter_context(stop_signals.StopSignals())
    if stacked:
      # The seeds' folder is a run too: held for the run's life (a --restart of it would
      # move the live seeds aside), its config.json compared (config.num_seeds among it)
      # and recorded with the seeds'; --restart moves every seed aside at once.
      cleanup.enter_context(workdir_lib.lock(workdir, is_lead))
      workdir_lib.prepare(config, workdir, restart=restart, is_lead=is_lead)
    runs = [_Run(c, workdir_lib.seed_workdir(workdir, c.seed) if stacked else workdir,
                 i if stacked else None, restart and not stacked, is_lead, cleanup,
                 parent=(config, workdir) if stacked and i == 0 else None)
            for i, c in enumerate(_seed_configs(config))]
    # The config becomes the game's typed parts once; every seed's state is built from it.
    start_step, states = _restore(runs, games.game_from_config(config), mesh)
    if not stacked:
      state = states[0]
    else:   # the form make_device_data_steps takes them in
      state = tuple(states) if parallel.seeds_in_turn() else parallel.stack_states(states)
    dispatch = _dispatcher(config, data, mesh, start_step)

    def every(interval, done):
      return interval and done % interval == 0

    # With several processes, all must see a stop request at the same step.
    stop_check_every = 1 if jax.process_count() == 1 else max(config.log_every_steps, 10)
    where = workdir if not stacked else f'{workdir} (seeds {runs[0].config.seed}..' \
                                        f'{runs[-1].config.seed})'
    if start_step >= config.num_train_steps:
      print(f'{where} is already at step {start_step} (config.num_train_steps='
            f'{config.num_train_steps}): nothing to train. Raise --config.num_train_steps to '
            'train further.', flush=True)
    else:
      print(f'Training steps {start_step}..{config.num_train_steps} in {where}', flush=True)
    last_time, last_step = time.perf_counter(), start_step
    stopped_by, next_stop_check = None, start_step
    in_flight = reliability.CallsInFlight()
    step = start_step
    while step < config.num_train_steps:
      if step >= next_stop_check:
        next_stop_check = step + stop_check_every
        if reliability.agree_on_stop(stop.requested):
          stopped_by = stop.signal_name or 'a signal on another process'
          break
      # A call never runs past a step where something happens (log, samples, checkpoint,
      # the end), so all of them stay at their steps.
      num_steps = min([config.steps_per_dispatch, config.num_train_steps - step]
                      + [interval - step % interval for interval in
                         (config.log_every_steps, config.sample_every_steps,
                          config.checkpoint_every_steps) if interval])
      state, metrics = dispatch(state, step, num_steps)
      in_flight.add(metrics)
      if not runs[0].recorded:   # the run has started: restored, compiled, one call done
        jax.block_until_ready(metrics)   # (its failures surface here, not after recording)
      for run in runs:
        run.add(step + 1, metrics)
        run.record()
      step = done = step + num_steps
      if every(config.log_every_steps, done) or (config.log_every_steps
                                                 and done == config.num_train_steps):
        # The rate of steps done, not dispatched: calls run ahead of the host (in_flight).
        jax.block_until_ready(metrics)
        now = time.perf_counter()
        for run in runs:
          run.log(done, (done - last_step) / (now - last_time))
        last_time, last_step = now, done
      elif runs[0].guard.num_pending >= reliability.MAX_UNCHECKED_STEPS:
        for run in runs:
          run.check_finite()
      if is_lead and every(config.sample_every_steps, done):
        for run in runs:
          save_samples(run.take(state), run.config, run.workdir, done)
      if every(config.checkpoint_every_steps, done):
        for run in runs:
          run.save(state, done)

    final_step = _step_of(state)
    rate = (final_step - last_step) / (time.perf_counter() - last_time + 1e-9)
    for run in runs:
      if stopped_by and run.history and config.log_every_steps:
        run.log(final_step, rate)  # the partial interval
      run.check_finite()
    for run in runs:
      if final_step != (run.last_saved or 0):
        run.save(state, final_step)
      if is_lead and config.sample_every_steps and not stopped_by:
        save_samples(run.take(state), run.config, run.workdir, final_step)
    for run in runs:
      checkpointing.wait(run.mngr, final_step)
      run.record()   # also when there was nothing left to run
    if stopped_by:
      saved = (f'with a checkpoint in {runs[0].mngr.directory}' + (
          ' and those of the other seeds' if stacked else '')
               if runs[0].last_saved is not None else '(nothing to save yet)')
      print(f'{stopped_by}: stopped at step {final_step} {saved}. Re-run the same '
            'command to resume.', flush=True)
  return parallel.stack_states(state) if isinstance(state, tuple) else state


class _Run:
  """One seed's bookkeeping: its workdir and config.json, checkpoints, log and non-finite
  guard. `column` is its index in the stacked state and metrics (None: not stacked)."""

  def __init__(self, config, workdir: str, column, restart: bool, is_lead: bool, cleanup,
               parent=None):
    """`parent`: (config, folder) of several seeds trained together, which this seed (the
    first) also records."""
    self.config, self.workdir, self.column, self.parent = config, workdir, column, parent
    cleanup.enter_context(workdir_lib.lock(workdir, is_lead))   # one run per workdir
    # Compares with <workdir>/config.json (what infogan_jax.load() rebuilds from); the
    # config is recorded there by `record` once the run has started.
    workdir_lib.prepare(config, workdir, restart=restart, is_lead=is_lead)
    self.is_lead, self.recorded = is_lead, False
    if is_lead:
      for path in checkpointing.remove_unfinished(workdir):
        print(f'Removed {path}: a save that an interrupted run did not finish', flush=True)
    self.mngr = checkpointing.manager(workdir, keep=config.keep_checkpoints)
    cleanup.push(lambda exc_type, *_: _close_manager(self.mngr,
                                                     failing=exc_type is not None))
    self.logger = MetricLogger(workdir, enabled=is_lead,
                               label='' if column is None else f'seed {config.seed} ')
    cleanup.callback(self.logger.close)
    self.guard = reliability.NonFiniteGuard(config.on_nonfinite, column=column)
    self.history = []
    self.last_saved = None
    self.resumed_from = None   # the step restored, until the next save

  def record(self) -> None:
    """Writes config.json, once: after the first step ran or before the first save."""
    if self.is_lead and not self.recorded:
      workdir_lib.record_config(self.config, self.workdir)
      if self.parent is not None:
        workdir_lib.record_config(*self.parent)
    self.recorded = True

  def take(self, state):
    """This seed's state, from the seeds' states (a tuple, or stacked)."""
    return state if self.column is None else parallel.seed_part(state, self.column)

  def add(self, first_step: int, metrics) -> None:
    self.history.append((first_step, metrics))
    self.guard.add(first_step, metrics)

  def check_finite(self) -> None:  # before every save: a checkpoint never holds a fault
    self.guard.check(last_checkpoint=None if self.last_saved is None
                     else os.path.join(str(self.mngr.directory), str(self.last_saved)),
                     resumed_from=self.resumed_from)

  def log(self, done: int, steps_per_sec: float) -> None:
    self.check_finite()
    skipped = set(self.guard.take_skipped())
    rows = _per_step(self.history, self.column)
    good = [m for s, m in rows if s not in skipped] or [m for _, m in rows]
    scalars = {k: float(np.mean([m[k] for m in good])) for k in good[0] if k != 'nonfinite'}
    if self.guard.policy == 'skip':
      scalars['nonfinite_skipped'] = len(skipped)
    self.logger.write(done, scalars, steps_per_sec=steps_per_sec)
    self.history = []

  def save(self, state, step: int) -> None:
    self.check_finite()
    self.record()
    checkpointing.save(self.mngr, self.take(state))
    self.last_saved, self.resumed_from = step, None


def _seed_configs(config):
  """One config per seed trained: config.seed .. config.seed + num_seeds - 1."""
  if config.num_seeds == 1:
    return [config]
  return [workdir_lib.seed_config(config, config.seed + i) for i in range(config.num_seeds)]


def _restore(runs, game, mesh):
  """(start step, [each run's state of `game`]): the runs' latest common checkpoint, or
  fresh."""
  # Replicated over the global mesh *before* restoring: every process then restores its
  # own copy straight into that sharding (a restored array committed to one local
  # device could not be re-sharded across processes afterwards).
  states = [parallel.replicate(
      games.init_state(game, jax.random.key(run.config.seed)), mesh)
            for run in runs]
  saved = [set(run.mngr.all_steps()) for run in runs]
  if not any(saved):
    return 0, states
  common = set.intersection(*saved)
  if not common:
    raise WorkdirError(
        'the seeds trained together have no checkpoint step in common ('
        + '; '.join(f'{run.workdir}: {sorted(s)}' for run, s in zip(runs, saved))
        + '): pass --restart to move them aside and start over.')
  step = max(common)
  restored = [checkpointing.restore(run.mngr, s, step) for run, s in zip(runs, states)]
  for run in runs:
    run.last_saved = run.resumed_from = step
    print(f'Resuming from checkpoint at step {step} in {run.workdir}', flush=True)
  return step, restored


def _dispatcher(config, data: input_pipeline.DataSettings, mesh, start_step: int):
  """dispatch(state, step, num_steps) -> (state, metrics stacked over the num_steps steps
  from `step` on), for `data`'s placement (config.data_placement)."""
  stacked = config.num_seeds > 1
  seeds = [c.seed for c in _seed_configs(config)]
  on_device = input_pipeline.placement(data) == 'device'
  split = input_pipeline.load_split_uint8(data, 'train') if on_device else None
  ss = semi_supervised.SemiSupervisedSettings.from_config(config)
  labelled = (semi_supervised.LabelledData(data, ss, seeds, pool=split)
              if ss.enabled else None)
  if on_device:
    seed = (config.seed + np.arange(config.num_seeds, dtype=np.int32) if stacked
            else np.int32(config.seed))
    # Each batch key's split and epoch orders: 'image' the dataset's; CycleGAN's second
    # domain 'image_y' its own split, in an order of its own (streams.DATA_Y).
    domains = {'image': (split[0], streams.DATA)}
    if data.domain_y:
      domains['image_y'] = (input_pipeline.load_split_uint8(data.second_domain(), 'train')[0],
                            streams.DATA_Y)
    images, orders = {}, {}
    for key, (split_images, stream) in domains.items():
      if config.batch_size > len(split_images):
        raise ConfigError(f'config.batch_size={config.batch_size} is larger than the '
                          f"{len(split_images)} training examples "
                          "(config.data_placement='device')")
      images[key] = parallel.replicate(split_images, mesh)   # once: batches are gathered
      orders[key] = device_data.EpochOrders(seed, config.batch_size, len(split_images),
                                            config.steps_per_dispatch,
                                            sharding=NamedSharding(mesh, P()), stream=stream)
    steps = parallel.make_device_data_steps(mesh, config.batch_size,
                                            config.model.output_activation, stacked=stacked)
    labelled_arrays = (None if labelled is None
                       else parallel.replicate(labelled.device_arrays(stacked), mesh))

    def epoch_orders_for(step):   # (first epochs, orders), per batch key if several
      first_epoch, epoch_orders = {}, {}
      for key, key_orders in orders.items():
        first, epoch_orders[key] = key_orders.for_steps(step)
        first_epoch[key] = np.int32(first)
      if len(orders) == 1:
        return first_epoch['image'], epoch_orders['image']
      return first_epoch, epoch_orders

    def dispatch_on_device(state, step, num_steps):
      first_epoch, epoch_orders = epoch_orders_for(step)
      extra = {}
      if labelled is not None:
        extra['labelled'] = {'arrays': labelled_arrays, 'draws': parallel.replicate(
            labelled.draws(step, num_steps, stacked), mesh)}
      return steps(state, images['image'] if len(images) == 1 else images, epoch_orders,
                   first_epoch, seed, np.int32(step), num_steps, **extra)
    return dispatch_on_device

  local_rows = config.batch_size // jax.process_count()
  batches = input_pipeline.create_dataset(data, local_rows, split='train', seed=config.seed,
                                          skip_batches=start_step)
  step_fn = parallel.make_train_step(mesh)
  rows = slice(jax.process_index() * local_rows, (jax.process_index() + 1) * local_rows)

  @functools.partial(jax.jit, donate_argnums=0)
  def one_step(state, batch, rng):
    state, metrics = step_fn(state, batch, rng)
    return state, jax.tree.map(lambda x: x[None], metrics)

  def dispatch(state, step, num_steps):
    assert num_steps == 1, 'host data: one step per call (config validation)'
    local = {'image': next(batches)['image']}
    if labelled is not None:
      local = labelled.host_batch(local, step, rows)
    return one_step(state, parallel.global_batch(local, mesh),
                    games.step_rng(config.seed, step))
  return dispatch


def _per_step(history, column=None):
  """[(step, {name: host value})] from [(first step, metrics stacked over steps)], of
  seed `column` where the metrics are also stacked over seeds ([steps, seeds])."""
  rows = []
  for first, metrics in jax.device_get(history):
    if column is not None:
      metrics = {k: v[:, column] for k, v in metrics.items()}
    for i in range(len(metrics['nonfinite'])):
      rows.append((first + i, {k: v[i] for k, v in metrics.items()}))
  return rows


def _step_of(state) -> int:
  """The state's step (several seeds trained together share it)."""
  if isinstance(state, tuple):   # the seeds' states, in turn
    state = state[0]
  return int(np.max(checkpointing.host_value(state.step)))


def _close_manager(mngr, failing: bool) -> None:
  """Closes the checkpoint manager (waiting for saves); while another error propagates,
  a failure here is reported but does not replace it."""
  try:
    mngr.close()
  except Exception as e:
    if not failing:
      raise CheckpointError(
          f'could not finish writing checkpoints in {mngr.directory}: '
          f'{checkpointing.error_reason(e)}') from e
    print(f'(also: closing the checkpoint manager failed: {checkpointing.error_reason(e)})',
          flush=True)
