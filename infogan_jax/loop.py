"""The training loop: data, resume, steps, logging, samples, checkpoints.

`train(config, workdir)` is what train.py calls. Re-running it on the same
workdir resumes from the last checkpoint; the step RNG is fold_in(key(seed), step) and
the data order is a function of (seed, step), so a resumed run follows the same path
(bitwise on CPU: a run killed and resumed any number of times ends with the parameters
of an uninterrupted one; tests/test_reliability.py checks this with SIGKILL).

Interruptions and faults (reliability.py, workdir.py): SIGTERM/SIGINT save a checkpoint
at the current step and return; NaN/Inf losses or gradients stop the run before the
next save (or skip the update, config.on_nonfinite='skip'); a workdir holding a run of
another config is refused unless restart=True.
"""
from __future__ import annotations

import contextlib
import functools
import os
import time

import jax
import numpy as np

from infogan_jax import checkpointing, config_validation, input_pipeline, models, parallel
from infogan_jax import plotting, reliability, step as step_lib, workdir as workdir_lib
from infogan_jax.errors import CheckpointError, ConfigError
from infogan_jax.metric_logging import MetricLogger


def save_samples(state, config, workdir: str, step: int) -> str:
  """workdir/samples/step_<step>.png: rows = values of the first categorical code,
  columns = noise draws (points coloured by category for 2-D data)."""
  # A host copy: only process 0 draws samples, so it must not run computations on the
  # state's arrays, which span the devices of every process.
  state = jax.device_get(state)
  rng = jax.random.key(config.seed + 1)  # the same noise columns at every step
  path = workdir_lib.sample_path(workdir, step)
  generate = functools.partial(step_lib.generate, state)
  if config.dataset == 'ring8':
    real = next(input_pipeline.ring8_batches(2000, seed=config.seed))['image']
    return plotting.scatter_samples(generate, state.spec, rng, path, real=real,
                                    title=f'step {step}: colour = categorical code')
  return plotting.category_samples(generate, state.spec, rng, path,
                                   models.output_range(config.model.output_activation),
                                   title=f'step {step}: rows = categorical code 0')


def train(config, workdir: str, restart: bool = False):
  """Trains (or resumes) in `workdir`; returns the final TrainState.

  A workdir holding a run of another config is refused (errors.WorkdirError) unless
  `restart=True`, which moves that run to workdir/replaced_<time>/. SIGTERM or SIGINT
  ends the run after the current step with a checkpoint at that step, and this function
  returns normally. Errors the user can fix are errors.UserError, with a message naming
  the cause.
  """
  mesh = parallel.make_mesh()
  # The run records (config.json) the data route it takes, 'auto' resolved.
  config = input_pipeline.resolve(config_validation.validate(config, num_devices=mesh.size))
  input_pipeline.check_available(config)  # fails fast when offline without the data
  is_lead = jax.process_index() == 0

  with contextlib.ExitStack() as cleanup:
    stop = cleanup.enter_context(reliability.StopSignals())
    # Compares with <workdir>/config.json (what infogan_jax.load() rebuilds from), then
    # writes it.
    workdir_lib.prepare(config, workdir, restart=restart, is_lead=is_lead)
    # Replicated over the global mesh *before* restoring: every process then restores its
    # own copy straight into that sharding (a restored array committed to one local
    # device could not be re-sharded across processes afterwards).
    state = parallel.replicate(
        step_lib.create_train_state(config, jax.random.key(config.seed)), mesh)
    if is_lead:
      for path in checkpointing.remove_unfinished(workdir):
        print(f'Removed {path}: a save that an interrupted run did not finish', flush=True)
    mngr = checkpointing.manager(workdir, keep=config.keep_checkpoints)
    cleanup.push(lambda exc_type, *_: _close_manager(mngr, failing=exc_type is not None))
    restored = checkpointing.restore(mngr, state)
    if restored is not None:
      state = restored
      print(f'Resuming from checkpoint at step {_step_of(state)} in {workdir}', flush=True)
    start_step = _step_of(state)
    last_saved = start_step if restored is not None else None

    dispatch = _dispatcher(config, mesh, start_step)
    logger = MetricLogger(workdir, enabled=is_lead)
    cleanup.callback(logger.close)
    guard = reliability.NonFiniteGuard(config.on_nonfinite)

    def check_finite():  # before every save: a checkpoint never holds a fault
      guard.check(last_checkpoint=None if last_saved is None
                  else os.path.join(str(mngr.directory), str(last_saved)))

    def log(done, now):
      check_finite()
      skipped = set(guard.take_skipped())
      rows = _per_step(history)
      good = [m for s, m in rows if s not in skipped] or [m for _, m in rows]
      scalars = {k: float(np.mean([m[k] for m in good])) for k in good[0] if k != 'nonfinite'}
      if guard.policy == 'skip':
        scalars['nonfinite_skipped'] = len(skipped)
      logger.write(done, scalars, steps_per_sec=(done - last_step) / (now - last_time))

    def every(interval, done):
      return interval and done % interval == 0

    # With several processes, all must see a stop request at the same step.
    stop_check_every = 1 if jax.process_count() == 1 else max(config.log_every_steps, 10)
    print(f'Training steps {start_step}..{config.num_train_steps} in {workdir}', flush=True)
    history, last_time, last_step = [], time.perf_counter(), start_step
    stopped_by, next_stop_check = None, start_step
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
      history.append((step + 1, metrics))
      guard.add(step + 1, metrics)
      step = done = step + num_steps
      if every(config.log_every_steps, done) or (config.log_every_steps
                                                 and done == config.num_train_steps):
        now = time.perf_counter()
        log(done, now)
        history, last_time, last_step = [], now, done
      elif guard.num_pending >= reliability.MAX_UNCHECKED_STEPS:
        check_finite()
      if is_lead and every(config.sample_every_steps, done):
        save_samples(state, config, workdir, done)
      if every(config.checkpoint_every_steps, done):
        check_finite()
        checkpointing.save(mngr, state)
        last_saved = done

    final_step = _step_of(state)
    if stopped_by and history and config.log_every_steps:
      log(final_step, time.perf_counter())  # the partial interval
    check_finite()
    if final_step != (last_saved or 0):
      checkpointing.save(mngr, state)
      last_saved = final_step
    if is_lead and config.sample_every_steps and not stopped_by:
      save_samples(state, config, workdir, final_step)
    checkpointing.wait(mngr, final_step)
    if stopped_by:
      saved = (f'with a checkpoint in {mngr.directory}' if last_saved is not None
               else '(nothing to save yet)')
      print(f'{stopped_by}: stopped at step {final_step} {saved}. Re-run the same '
            'command to resume.', flush=True)
  return state


def _dispatcher(config, mesh, start_step: int):
  """dispatch(state, step, num_steps) -> (state, metrics stacked over the num_steps steps
  from `step` on), for config.data_placement."""
  if input_pipeline.placement(config) == 'device':
    images, _ = input_pipeline.load_split_uint8(config, 'train')
    if config.batch_size > len(images):
      raise ConfigError(f'config.batch_size={config.batch_size} is larger than the '
                        f"{len(images)} training examples (config.data_placement='device')")
    images = parallel.replicate(images, mesh)   # once: every batch is gathered on device
    steps = parallel.make_device_data_steps(mesh, config.batch_size,
                                            config.model.output_activation)
    seed = np.int32(config.seed)
    return lambda state, step, num_steps: steps(state, images, seed, np.int32(step), num_steps)

  data = input_pipeline.create_dataset(config, config.batch_size // jax.process_count(),
                                       split='train', seed=config.seed,
                                       skip_batches=start_step)
  step_fn = parallel.make_train_step(mesh)

  @functools.partial(jax.jit, donate_argnums=0)
  def one_step(state, batch, rng):
    state, metrics = step_fn(state, batch, rng)
    return state, jax.tree.map(lambda x: x[None], metrics)

  def dispatch(state, step, num_steps):
    assert num_steps == 1, 'host data: one step per call (config validation)'
    batch = parallel.global_batch({'image': next(data)['image']}, mesh)
    return one_step(state, batch, step_lib.step_rng(config.seed, step))
  return dispatch


def _per_step(history):
  """[(step, {name: host value})] from [(first step, metrics stacked over steps)]."""
  rows = []
  for first, metrics in jax.device_get(history):
    for i in range(len(metrics['nonfinite'])):
      rows.append((first + i, {k: v[i] for k, v in metrics.items()}))
  return rows


def _step_of(state) -> int:
  return int(checkpointing.host_value(state.step))


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
