"""Using a trained model from Python.

    import jax, infogan_jax
    model = infogan_jax.load('runs/mnist')                     # latest checkpoint
    images = model.generate(jax.random.key(0), n=10, cat=range(10))   # one digit per category
    posterior = model.infer(images)   # {'cat_probs': [[N, 10]], 'cont_mean': [N, 2], ...}

Anything not given to `generate` (noise, categorical codes, continuous codes) is sampled
from its prior. Pure JAX underneath: jitted, batched.
"""
from __future__ import annotations

import json
import os
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np

from infogan_jax import checkpointing, step as step_lib, workdir as workdir_lib
from infogan_jax.errors import (CheckpointError, CheckpointMismatchError, EvaluationError,
                                WorkdirError)
from infogan_jax.latents import Latents


class InfoGAN:
  """A trained generator and Q network, restored from a workdir."""

  def __init__(self, state: step_lib.TrainState, config, step: int):
    self.state, self.config, self.step = state, config, step
    self.spec = state.spec

  def latents(self, rng, n: Optional[int] = None, noise=None, cat=None, cont=None) -> Latents:
    """A batch of latents: given parts are used as they are, the rest are sampled.

    `cat` is [n] (first categorical code; other codes sampled) or [n, num_codes];
    `cont` is [n, num_continuous]; `noise` is [n, noise_dim].
    """
    given = [np.asarray(x) for x in (noise, cat, cont) if x is not None]
    if n is None:
      if not given:
        raise ValueError('generate() needs n or at least one of noise, cat, cont')
      n = len(given[0])
    sampled = self.spec.sample(rng, n)
    if noise is not None:
      sampled = sampled._replace(noise=jnp.asarray(noise, jnp.float32).reshape(n, -1))
    if cat is not None:
      cat = np.asarray(list(cat) if not hasattr(cat, 'shape') else cat, np.int32)
      cat = cat[:, None] if cat.ndim == 1 else cat
      full = np.asarray(sampled.cat).copy()
      full[:, :cat.shape[1]] = cat
      sampled = sampled._replace(cat=jnp.asarray(full))
    if cont is not None:
      sampled = sampled._replace(cont=jnp.asarray(cont, jnp.float32).reshape(n, -1))
    return sampled

  def generate(self, rng=None, n: Optional[int] = None, noise=None, cat=None, cont=None,
               latents: Optional[Latents] = None, batch_size: int = 1000) -> np.ndarray:
    """Images [n, H, W, C] in the generator's output range."""
    if latents is None:
      rng = jax.random.key(0) if rng is None else rng
      latents = self.latents(rng, n, noise, cat, cont)
    n = latents.noise.shape[0]
    out = [step_lib.generate(self.state, jax.tree.map(lambda x: x[i:i + batch_size], latents))
           for i in range(0, n, batch_size)]
    return np.concatenate([np.asarray(o) for o in out])

  def raw_outputs(self, images, batch_size: int = 1000):
    """(D's logits [N], Q's split output: logits and means) for many images, batched."""
    parts = [step_lib.infer(self.state, jnp.asarray(images[i:i + batch_size]))
             for i in range(0, len(images), batch_size)]
    return jax.tree.map(lambda *xs: np.concatenate([np.asarray(x) for x in xs]), *parts)

  def infer(self, images, batch_size: int = 1000) -> dict:
    """Q's posterior and D's probability for images in the generator's output range."""
    logits, q = self.raw_outputs(images, batch_size)
    return {'d_prob': np.asarray(jax.nn.sigmoid(logits)),
            'cat_probs': [np.asarray(jax.nn.softmax(l)) for l in q.cat_logits],
            'cont_mean': q.cont_mean,
            'cont_std': (np.exp(q.cont_log_std) if q.cont_log_std is not None
                         else np.ones_like(q.cont_mean))}


def load(workdir: str, config=None, step: Optional[int] = None) -> InfoGAN:
  """Restores a workdir's latest (or `step`) checkpoint into an InfoGAN model, built from
  the config the run recorded. A `config` given instead must agree with the recorded one
  on the model (workdir.MODEL_FIELDS); for a workdir without config.json it is the only
  description of the model. Raises errors.EvaluationError."""
  workdir = os.path.expanduser(workdir)
  seeds = workdir_lib.seed_workdirs(workdir)
  if seeds and not workdir_lib.has_run(workdir):
    raise EvaluationError(
        f'{workdir} holds several seeds trained together (config.num_seeds): load one of '
        + ', '.join(seeds.values()))
  recorded = None
  if config is None or os.path.exists(workdir_lib.config_path(workdir)):
    try:
      recorded = workdir_lib.read_config(workdir)
    except WorkdirError as e:
      raise EvaluationError(str(e)) from None
  if config is None:
    config = recorded
  elif recorded is not None:
    # A config given here must build the model the run trained (eval.py passes the
    # command line's): networks, latent layout and data range are compared.
    diffs = workdir_lib.config_differences(
        recorded.to_dict(), json.loads(config.to_json_best_effort()),
        fields=workdir_lib.MODEL_FIELDS)
    if diffs:
      raise EvaluationError(
          f'{workdir} was trained with another model ({workdir_lib.listed(diffs)}). Use the '
          'settings of '
          f'{workdir_lib.config_path(workdir)} (infogan_jax.load without config= uses them).')
  state = step_lib.create_train_state(config, jax.random.key(0))
  ckpt_dir = workdir_lib.checkpoint_dir(workdir)
  if not os.path.isdir(ckpt_dir):
    raise EvaluationError(f'No checkpoints in {ckpt_dir}: train first with '
                          f'`python train.py --config=... --workdir={workdir}`.')
  mngr = checkpointing.manager(workdir, create=False)
  try:
    if step is not None and step not in mngr.all_steps():
      raise EvaluationError(f'No checkpoint for step {step} in {ckpt_dir}; '
                            f'available: {list(mngr.all_steps())}')
    try:
      restored = checkpointing.restore(mngr, state, step)
    except (CheckpointMismatchError, CheckpointError) as e:
      raise EvaluationError(str(e)) from None
  finally:
    mngr.close()
  if restored is None:
    raise EvaluationError(f'No checkpoints in {ckpt_dir}: train first with '
                          f'`python train.py --config=... --workdir={workdir}`.')
  return InfoGAN(restored, config, int(restored.step))
