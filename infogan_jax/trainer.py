"""The training loop: data, resume, steps, logging, samples, checkpoints.

`train_and_evaluate(config, workdir)` is what train.py calls. Re-running it on the same
workdir resumes from the last checkpoint; the step RNG is fold_in(key(seed), step) and
the data order is a function of (seed, step), so a resumed run follows the same path.
"""
from __future__ import annotations

import os
import time

import jax
import numpy as np

from infogan_jax import checkpointing, config_validation, input_pipeline, parallel, plotting
from infogan_jax import training
from infogan_jax.metric_logging import MetricLogger


def _mean_metrics(history):
  host = jax.device_get(history)
  return {k: float(np.mean([m[k] for m in host])) for k in host[0]}


def save_samples(state, config, workdir: str, step: int, num_noise: int = 10) -> str:
  """A PNG: rows = values of the first categorical code, columns = noise draws."""
  # A host copy: only process 0 draws samples, so it must not run computations on the
  # state's arrays, which span the devices of every process.
  state = jax.device_get(state)
  spec = state.spec
  rng = jax.random.key(config.seed + 1)  # the same noise columns at every step
  if config.dataset == 'ring8':
    latents = spec.sample(rng, 2000)
    points = np.asarray(training.generate(state, latents))
    real = next(input_pipeline.ring8_batches(2000, seed=config.seed))['image']
    return plotting.scatter_by_category(
        points, np.asarray(latents.cat[:, 0]), os.path.join(workdir, 'samples',
                                                            f'step_{step:07d}.png'),
        real=real, title=f'step {step}: colour = categorical code')
  latents = spec.category_grid(rng, num_noise) if spec.categorical else spec.sample(rng, 100)
  images = np.asarray(training.generate(state, latents))
  rows = spec.categorical[0] if spec.categorical else 10
  lo = 0.0 if config.model.output_activation == 'sigmoid' else -1.0
  return plotting.image_grid(images, rows, len(images) // rows,
                             os.path.join(workdir, 'samples', f'step_{step:07d}.png'),
                             title=f'step {step}: rows = categorical code 0',
                             value_range=(lo, 1.0))


def train_and_evaluate(config, workdir: str):
  """Trains (or resumes) in `workdir`; returns the final TrainState."""
  mesh = parallel.make_mesh()
  config_validation.validate(config, num_devices=mesh.size)
  is_lead = jax.process_index() == 0
  local_batch = config.batch_size // jax.process_count()

  if is_lead:
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, 'config.json'), 'w') as f:
      f.write(config.to_json_best_effort(indent=2))  # what infogan_jax.load() rebuilds from
  # Replicated over the global mesh *before* restoring: every process then restores its
  # own copy straight into that sharding (a restored array committed to one local
  # device could not be re-sharded across processes afterwards).
  state = parallel.replicate(
      training.create_train_state(config, jax.random.key(config.seed)), mesh)
  mngr = checkpointing.manager(workdir, keep=config.keep_checkpoints)
  restored = checkpointing.restore(mngr, state)
  if restored is not None:
    state = restored
    print(f'Resuming from checkpoint at step {int(state.step)} in {workdir}', flush=True)
  start_step = int(state.step)

  data = input_pipeline.create_dataset(config, local_batch, split='train',
                                       seed=config.seed, skip_batches=start_step)
  step_fn = parallel.make_train_step(mesh)
  logger = MetricLogger(workdir, enabled=is_lead)
  history, last_time, last_step = [], time.perf_counter(), start_step
  try:
    for step in range(start_step, config.num_train_steps):
      batch = parallel.global_batch({'image': next(data)['image']}, mesh)
      state, metrics = step_fn(state, batch, training.step_rng(config.seed, step))
      history.append(metrics)
      done = step + 1
      if config.log_every_steps and (done % config.log_every_steps == 0
                                     or done == config.num_train_steps):
        scalars = _mean_metrics(history)
        now = time.perf_counter()
        logger.write(done, scalars, steps_per_sec=(done - last_step) / (now - last_time))
        history, last_time, last_step = [], now, done
      if is_lead and config.sample_every_steps and done % config.sample_every_steps == 0:
        save_samples(state, config, workdir, done)
      if config.checkpoint_every_steps and done % config.checkpoint_every_steps == 0:
        checkpointing.save(mngr, state)
    if int(state.step) != (mngr.latest_step() or 0):
      checkpointing.save(mngr, state)
    if is_lead and config.sample_every_steps:
      save_samples(state, config, workdir, int(state.step))
    mngr.wait_until_finished()
  finally:
    logger.close()
    mngr.close()
  return state
