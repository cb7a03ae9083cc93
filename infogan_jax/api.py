"""Using a trained model from Python.

    import jax, infogan_jax
    model = infogan_jax.load('runs/mnist')                     # latest checkpoint
    images = model.generate(jax.random.key(0), n=10, cat=range(10))   # one digit per category
    posterior = model.infer(images)   # {'cat_probs': [[N, 10]], 'cont_mean': [N, 2], ...}

    vaegan = infogan_jax.load('runs/vaegan')                  # a run with an encoder
    z = vaegan.encode(real_images)                            # posterior means [N, 62]
    same = vaegan.reconstruct(real_images)                    # = vaegan.generate(noise=z)

    cyclegan = infogan_jax.load('runs/cyclegan')              # a CycleGAN run
    printed = cyclegan.translate(mnist_images, direction='x2y')   # G: X -> Y

Anything not given to `generate` (noise, categorical codes, continuous codes) is sampled
from its prior. Pure JAX underneath: jitted, batched.
"""
from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from typing import Optional

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from infogan_jax.training import checkpointing
from infogan_jax.data import input_pipeline
from infogan_jax.networks import models
from infogan_jax import games
from infogan_jax.games import cyclegan as cyclegan_game
from infogan_jax.training import workdir as workdir_lib
from infogan_jax.errors import (CheckpointError, CheckpointMismatchError, EvaluationError,
                                InputError, WorkdirError)
from infogan_jax.networks.latents import Latents


# What one generate() call may return: float32 images, on the host. Far more than a batch
# ever needs, and below what fills a machine (MNIST's 10**7 images would be 31 GB, after a
# minute of work); more is asked for in parts (the message says how).
MAX_GENERATE_BYTES = 4 * 2**30


class Model:
  """A trained run's state, config and step, restored from a workdir (`load`), and the
  check of the images its methods take.

  Arguments are checked before anything runs: a bad one raises errors.InputError (a
  ValueError) naming the argument, what it expects and what it got.
  """

  def __init__(self, state, config, step: int):
    self.state, self.config, self.step = state, config, step
    self.image_shape = tuple(input_pipeline.image_shape(config.dataset))

  def _images(self, images):
    x = _array('images', images)
    want = self.image_shape
    given = tuple(x.shape)
    if len(want) == 3 and want[-1] == 1 and given[1:] == want[:2]:
      x = x[..., None]   # [N, H, W] for one-channel images
    if x.ndim != len(want) + 1 or tuple(x.shape[1:]) != want:
      raise InputError(
          f'images must have shape [N, {", ".join(map(str, want))}] (config.dataset='
          f'{self.config.dataset!r}), got {list(given)}'
          + ('; one image needs a batch axis: images[None]' if given == want else ''))
    _count('the number of images', len(x))
    activation = self.config.model.output_activation
    if x.dtype == np.uint8 and len(want) == 3:
      return models.from_uint8(x.astype(np.float32), activation)
    if x.dtype.kind not in 'fiu':
      raise InputError(f'images must hold numbers, got dtype {x.dtype}')
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
      raise InputError('images hold NaN or Inf values')
    lo, hi = models.output_range(activation)
    if len(want) == 3 and (x.min() < lo - 1e-3 or x.max() > hi + 1e-3):
      raise InputError(
          f'images must be uint8 0..255 or floats in [{lo:g}, {hi:g}] (the generator\'s '
          f'range, config.model.output_activation={activation!r}), got floats in '
          f'[{x.min():g}, {x.max():g}]')
    return x


class CycleGAN(Model):
  """A trained CycleGAN run (configs/cyclegan.py): its generators G: X -> Y ('x2y') and
  F: Y -> X ('y2x'), X being config.dataset and Y config.cyclegan.domain_y."""

  DIRECTIONS = cyclegan_game.DIRECTIONS

  def translate(self, images, direction: str = 'x2y', batch_size: int = 1000) -> np.ndarray:
    """G(images) ('x2y') or F(images) ('y2x'): [N, H, W, C] in the generator's range, for
    images as InfoGAN.infer takes them (uint8 0..255, or floats in [-1, 1])."""
    if direction not in self.DIRECTIONS:
      raise InputError(f'direction must be one of {self.DIRECTIONS} (x: config.dataset='
                       f'{self.config.dataset!r}, y: config.cyclegan.domain_y='
                       f'{self.config.cyclegan.domain_y!r}), got {direction!r}')
    images = self._images(images)
    batch_size = _count('batch_size', batch_size)
    return np.concatenate([np.asarray(_translate(self.state, jnp.asarray(images[i:i + batch_size]),
                                                 direction))
                           for i in range(0, len(images), batch_size)])


@functools.partial(jax.jit, static_argnums=2)
def _translate(state, images, direction):
  return games.translate(state, images, direction)


class InfoGAN(Model):
  """A trained generator and Q network, restored from a workdir (see Model)."""

  def __init__(self, state: games.infogan.TrainState, config, step: int):
    super().__init__(state, config, step)
    self.spec = state.spec

  def latents(self, rng, n: Optional[int] = None, noise=None, cat=None, cont=None) -> Latents:
    """A batch of latents: given parts are used as they are, the rest are sampled.

    `cat` is [n] (the first categorical code; other codes sampled) or [n, j] (the first j
    codes), integers in 0..k-1 for a code of k categories; `cont` is [n, num_continuous]
    (or [n] with one continuous code), finite; `noise` is [n, noise_dim], finite.
    """
    given = {name: x for name, x in (('noise', noise), ('cat', cat), ('cont', cont))
             if x is not None}
    if n is None:
      if not given:
        raise InputError('generate() needs n (how many images) or at least one of noise, '
                         'cat, cont')
      name, first = next(iter(given.items()))
      n = len(_array(name, first))
    n = _count('n', n)
    sampled = self.spec.sample(_key(rng), n)
    if noise is not None:
      sampled = sampled._replace(noise=jnp.asarray(
          self._floats('noise', noise, n, self.spec.noise_dim, 'config.latent.noise_dim')))
    if cat is not None:
      full = np.asarray(sampled.cat).copy()
      given_cat = self._codes(cat, n)
      full[:, :given_cat.shape[1]] = given_cat
      sampled = sampled._replace(cat=jnp.asarray(full))
    if cont is not None:
      sampled = sampled._replace(cont=jnp.asarray(
          self._floats('cont', cont, n, self.spec.continuous, 'config.latent.continuous')))
    return sampled

  def generate(self, rng=None, n: Optional[int] = None, noise=None, cat=None, cont=None,
               latents: Optional[Latents] = None, batch_size: int = 1000) -> np.ndarray:
    """Images [n, H, W, C] in the generator's output range (models.output_range), made
    `batch_size` at a time and gathered on the host. `rng`: a JAX key, or an integer seed
    for jax.random.key(seed) (default 0); `latents`: a Latents, or (noise, cat, cont).
    At most MAX_GENERATE_BYTES of images a call (InputError beyond, before any work)."""
    batch_size = _count('batch_size', batch_size)
    if latents is None:
      if n is not None:   # before the latents of n images are drawn
        self._check_output_size(_count('n', n))
      latents = self.latents(rng, n, noise, cat, cont)
    else:
      latents = self._checked_latents(_as_latents(latents))
    n = latents.noise.shape[0]
    self._check_output_size(n)
    out = np.empty((n,) + self.image_shape, np.float32)
    for i in range(0, n, batch_size):   # one batch on the device at a time
      out[i:i + batch_size] = np.asarray(games.generate(
          self.state, jax.tree.map(lambda x: x[i:i + batch_size], latents)))
    return out

  def _check_output_size(self, n: int) -> None:
    per_image = 4 * int(np.prod(self.image_shape))
    most = MAX_GENERATE_BYTES // per_image
    if n > most:
      raise InputError(
          f'generate(n={n}) would return {n * per_image / 2**30:.1f} GiB; one call returns '
          f'at most {most} images of this run ({MAX_GENERATE_BYTES // 2**30} GiB, '
          'api.MAX_GENERATE_BYTES): generate them in parts and keep or reduce each, e.g. '
          'for i in range(parts): images = model.generate(jax.random.fold_in(key, i), '
          'n=100000)')

  def raw_outputs(self, images, batch_size: int = 1000):
    """(D's logits [N], Q's split output: logits and means) for many images, batched;
    `images` as `infer` takes them."""
    return self._batched(games.infer, images, batch_size)

  def _batched(self, fn, images, batch_size: int):
    """fn(state, images) over checked images in batches, its outputs concatenated (numpy)."""
    images = self._images(images)
    batch_size = _count('batch_size', batch_size)
    parts = [fn(self.state, jnp.asarray(images[i:i + batch_size]))
             for i in range(0, len(images), batch_size)]
    return jax.tree.map(lambda *xs: np.concatenate([np.asarray(x) for x in xs]), *parts)

  def infer(self, images, batch_size: int = 1000) -> dict:
    """Q's posterior and D's probability for a batch of images [N, H, W, C].

    Floats are taken to be in the generator's output range (models.output_range; [-1, 1]
    for tanh) and refused outside it; uint8 images (0..255, as image files hold them)
    are converted to that range. [N, H, W] is accepted for one-channel images.
    """
    logits, q = self.raw_outputs(images, batch_size)
    return {'d_prob': np.asarray(jax.nn.sigmoid(logits)),
            # None for CGAN's condition, which Q does not predict
            'cat_probs': [None if l is None else np.asarray(jax.nn.softmax(l))
                          for l in q.cat_logits],
            'cont_mean': q.cont_mean,
            'cont_std': (np.exp(q.cont_log_std) if q.cont_log_std is not None
                         else np.ones_like(q.cont_mean))}

  def discriminator_features(self, images, batch_size: int = 1000) -> np.ndarray:
    """D_l(x): D's features where VAE-GAN measures reconstructions, flattened [N, F], for
    images as `infer` takes them (BatchNorm in inference mode)."""
    return self._batched(games.discriminator_features, images, batch_size)

  # --- VAE-GAN runs (config.vae.encoder) ------------------------------------------------
  @property
  def has_encoder(self) -> bool:
    """Whether the run has an encoder (VAE-GAN, the VAE): encode and reconstruct work."""
    return self.state.encoder is not None

  def encode(self, images, batch_size: int = 1000, return_std: bool = False):
    """The encoder's posterior mean of the generator's noise [N, noise_dim] for images
    (as `infer` takes them); with return_std, (mean, std). Feed it to
    `generate(noise=...)` to decode: edit or interpolate real images in latent space."""
    if not self.has_encoder:
      raise InputError('this run has no encoder (config.vae.encoder=False): encode and '
                       'reconstruct need a VAE-GAN or VAE run (configs/vaegan.py, '
                       'configs/vae.py)')
    mean, log_var = self._batched(games.encode, images, batch_size)
    return (mean, np.exp(0.5 * log_var)) if return_std else mean

  def reconstruct(self, images, batch_size: int = 1000) -> np.ndarray:
    """G(posterior mean of E(x)): the run's reconstructions of images, [N, H, W, C] in
    the generator's output range."""
    return self.generate(noise=self.encode(images, batch_size), batch_size=batch_size)

  # --- argument checks ------------------------------------------------------------------
  def _floats(self, name, values, n, width, field):
    x = _array(name, values)
    if x.dtype.kind not in 'fiu':
      raise InputError(f'{name} must hold numbers, got dtype {x.dtype}')
    if x.ndim == 1 and width == 1:
      x = x[:, None]
    if x.shape != (n, width):
      raise InputError(f'{name} must have shape [n, {width}] = [{n}, {width}] ({width} from '
                       f'{field} of this run), got {list(x.shape)}')
    if not np.all(np.isfinite(x)):
      raise InputError(f'{name} holds NaN or Inf values')
    return x.astype(np.float32)

  def _codes(self, cat, n):
    if not self.spec.categorical:
      raise InputError('cat was given, but this run has no categorical code '
                       '(config.latent.categorical is empty)')
    x = _array('cat', list(cat) if isinstance(cat, range) else cat)
    if x.dtype.kind not in 'iuf' or (x.dtype.kind == 'f' and not np.all(x == np.round(x))):
      raise InputError(f'cat must hold integer category indices, got {_shown(x)}')
    x = x.astype(np.int64)
    x = x[:, None] if x.ndim == 1 else x
    codes = self.spec.categorical
    if x.ndim != 2 or len(x) != n or not 1 <= x.shape[1] <= len(codes):
      raise InputError(f'cat must have shape [n] or [n, j] with n = {n} and j <= '
                       f'{len(codes)} categorical codes, got {list(x.shape)}')
    for j in range(x.shape[1]):
      bad = (x[:, j] < 0) | (x[:, j] >= codes[j])
      if np.any(bad):
        raise InputError(f'cat: categorical code {j} has {codes[j]} categories (0..'
                         f'{codes[j] - 1}), got {x[bad, j][0]}')
    return x.astype(np.int32)

  def _checked_latents(self, latents):
    n = _count('the latents\' batch', np.shape(latents.noise)[0] if np.ndim(latents.noise)
               else 0)
    return Latents(
        jnp.asarray(self._floats('latents.noise', latents.noise, n, self.spec.noise_dim,
                                 'config.latent.noise_dim')),
        jnp.asarray(self._codes(latents.cat, n) if self.spec.categorical
                    else np.zeros((n, 0), np.int32)),
        jnp.asarray(self._floats('latents.cont', latents.cont, n, self.spec.continuous,
                                 'config.latent.continuous')))

def _key(rng):
  """A JAX key from `rng`: None (key 0), an integer seed, or a key (typed, or raw uint32[2]
  as jax.random.PRNGKey makes)."""
  if rng is None:
    return jax.random.key(0)
  if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
    if 0 <= rng < 2**32:
      return jax.random.key(int(rng))
  elif isinstance(rng, (jax.Array, np.ndarray)):
    if jnp.issubdtype(rng.dtype, jax.dtypes.prng_key) and rng.shape == ():
      return rng
    if rng.dtype == np.uint32 and rng.shape == (2,):
      return jax.random.wrap_key_data(rng)
  shown = (f'an array of shape {list(rng.shape)} and dtype {rng.dtype}'
           if hasattr(rng, 'shape') and hasattr(rng, 'dtype') else repr(rng)[:60])
  raise InputError(f'rng must be a JAX key (jax.random.key(0)) or an integer seed in '
                   f'[0, 2^32), got {shown}')


def _as_latents(latents) -> Latents:
  if isinstance(latents, tuple) and len(latents) == 3:   # a Latents is a tuple too
    return Latents(*latents)
  raise InputError('latents must be a Latents (noise, cat, cont), as model.latents(rng, n) '
                   f'makes, or a tuple of those three arrays; got {type(latents).__name__}')


def _array(name, values):
  try:
    return np.asarray(values)
  except (ValueError, TypeError) as e:
    raise InputError(f'{name} must be an array, got {type(values).__name__} ({e})') from None


def _count(name, value) -> int:
  if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
      or value < 1:
    raise InputError(f'{name} must be an integer >= 1, got {value!r}')
  return int(value)


def _shown(x) -> str:
  flat = x.reshape(-1)
  return repr(flat[:4].tolist())[:-1] + (', ...]' if flat.size > 4 else ']')


def load(workdir: str, config=None, step: Optional[int] = None) -> Model:
  """Restores a workdir's latest (or `step`) checkpoint into an InfoGAN model (a CycleGAN
  one for a CycleGAN run), built from
  the config the run recorded. A `config` given instead must agree with the recorded one
  on the model (workdir.MODEL_FIELDS); for a workdir without config.json it is the only
  description of the model. A checkpoint that fails its integrity check is refused, as
  training refuses it. Raises errors.InputError for arguments that cannot work (a workdir
  that is not a folder, a config that is not one), errors.EvaluationError for a workdir
  that cannot be loaded."""
  if isinstance(workdir, bytes) or not isinstance(workdir, (str, os.PathLike)):
    raise InputError(f'workdir must be the path of a training workdir (a folder train.py '
                     f'wrote), got {workdir!r}')
  workdir = os.path.expanduser(os.fspath(workdir))
  if not os.path.isdir(workdir):
    raise InputError(f'workdir {workdir} ' + ('is a file, not a folder' if os.path.exists(
        workdir) else 'does not exist') + ': give the --workdir of a train.py run')
  if isinstance(config, Mapping) and not isinstance(config, ml_collections.ConfigDict):
    config = ml_collections.ConfigDict(config)
  if config is not None and not isinstance(config, ml_collections.ConfigDict):
    raise InputError('config must be an ml_collections.ConfigDict (a get_config() of '
                     f'configs/) or a dict of one, got {type(config).__name__}')
  seeds = workdir_lib.seed_workdirs(workdir)
  if seeds and not workdir_lib.has_run(workdir):
    raise EvaluationError(
        f'{workdir} holds several seeds trained together (config.num_seeds): load one of '
        + ', '.join(seeds.values()))
  if step is not None and (isinstance(step, bool) or not isinstance(step, (int, np.integer))):
    raise InputError(f'step must be a checkpoint step (an integer), got {step!r}')
  recorded = None
  if config is None or os.path.exists(workdir_lib.config_path(workdir)):
    try:
      recorded = workdir_lib.read_config(workdir)
    except WorkdirError as e:
      if os.path.exists(workdir_lib.config_path(workdir)) or not workdir_lib.has_run(workdir):
        raise EvaluationError(str(e)) from None
      raise EvaluationError(
          f'{workdir_lib.config_path(workdir)} not found, so the model of the checkpoints '
          f'in {workdir} is unknown: pass the config it was trained with, '
          'infogan_jax.load(workdir, config=...) (eval.py: --config).') from None
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
  state = games.create_train_state(config, jax.random.key(0))
  ckpt_dir = workdir_lib.checkpoint_dir(workdir)
  untrained = EvaluationError(f'No checkpoints in {ckpt_dir}: train first with '
                              f'`python train.py --config=... --workdir={workdir}`.')
  # A trainer may be rotating checkpoints meanwhile (keep_checkpoints): the latest one
  # can vanish between listing and reading it; then the new latest is read.
  for attempt in range(3):
    available = checkpointing.complete_steps(ckpt_dir)
    if not available:
      raise untrained
    if step is not None and step not in available:
      raise EvaluationError(f'No checkpoint for step {step} in {ckpt_dir}; '
                            f'available: {available}')
    chosen = available[-1] if step is None else step
    try:
      restored = _restore(workdir, state, chosen)
      break
    except (CheckpointMismatchError, CheckpointError) as e:
      if step is None and attempt < 2 and not os.path.isdir(os.path.join(ckpt_dir,
                                                                          str(chosen))):
        continue   # rotated away while we read it
      raise EvaluationError(str(e)) from None
  model = CycleGAN if games.plays(restored) == 'cyclegan' else InfoGAN
  return model(restored, config, int(restored.step))


def _restore(workdir, state, step):
  try:
    mngr = checkpointing.manager(workdir, create=False)
  except Exception as e:   # orbax lists the folder, which a trainer may be changing
    raise CheckpointError(f'cannot read {workdir_lib.checkpoint_dir(workdir)}: '
                          f'{checkpointing.error_reason(e)}') from e
  try:
    return checkpointing.restore(mngr, state, step)
  finally:
    mngr.close()
