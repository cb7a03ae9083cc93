"""Checks a config before any work starts; every message names the field and what it allows.

Every field of configs/default.py has a rule in `RULES` (tests/test_reliability.py checks
that none is missing). Type and range are checked first, then the combinations. The
allowed values belong to the modules that use them (models, latents, input_pipeline,
reliability); the rules ask them.
"""
from __future__ import annotations

import math
import numbers

import jax
import ml_collections

from infogan_jax.data import input_pipeline
from infogan_jax.networks import latents
from infogan_jax.networks import models
from infogan_jax.objectives import adversarial as objectives
from infogan_jax.training import reliability
from infogan_jax.data import semi_supervised
from infogan_jax.objectives import vae as vaegan
from infogan_jax.errors import ConfigError


class _Rule:
  """`check(value)` returns None if the value is allowed, else what is allowed."""

  def __init__(self, check, allowed: str):
    self.check, self.allowed = check, allowed


def _integer(lo=None, hi=None, text=None):
  if text:
    pass
  elif lo == 1 and hi is None:
    text = 'an integer > 0'
  elif lo == 0 and hi is None:
    text = 'an integer >= 0'
  else:
    text = f'an integer in [{lo}, {hi}]'

  def ok(v):
    return (isinstance(v, numbers.Integral) and not isinstance(v, bool)
            and (lo is None or v >= lo) and (hi is None or v <= hi))
  return _Rule(ok, text)


def _number(lo=None, lo_open=False, hi=None, hi_open=False, text=None):
  def ok(v):
    if not isinstance(v, numbers.Real) or isinstance(v, bool) or not math.isfinite(v):
      return False
    if lo is not None and (v <= lo if lo_open else v < lo):
      return False
    if hi is not None and (v >= hi if hi_open else v > hi):
      return False
    return True
  return _Rule(ok, text)


def _choice(*options):
  return _Rule(lambda v: isinstance(v, str) and v in options, f'one of {options}')


def _boolean():
  return _Rule(lambda v: isinstance(v, bool), 'True or False')


def _string(what='a string (a path; empty for the default)'):
  return _Rule(lambda v: isinstance(v, str), what)


def _int_tuple(lo, text, allow_empty):
  def ok(v):
    return (isinstance(v, (tuple, list)) and (allow_empty or len(v) > 0) and all(
        isinstance(k, numbers.Integral) and not isinstance(k, bool) and k >= lo for k in v))
  return _Rule(ok, text)


_POSITIVE = _integer(1)
_NON_NEGATIVE = _integer(0)
_RATE = _number(lo=0, lo_open=True, text='a finite number > 0')
_BETA = _number(lo=0, hi=1, hi_open=True, text='a number in [0, 1)')
_WEIGHT = _number(lo=0, text='a finite number >= 0')
_SHARE = _number(lo=0, hi=1, text='a number in [0, 1] (a probability)')
_WIDTHS = _int_tuple(1, 'a non-empty tuple of integers > 0 (layer widths)', False)

RULES = {
    # data
    'dataset': _choice(*input_pipeline.DATASETS),
    'data_dir': _string(),
    'manual_dir': _string(),
    'data_reader': _choice(*input_pipeline.DATA_READERS),
    'data_placement': _choice(*input_pipeline.DATA_PLACEMENTS),
    'shuffle_buffer': _POSITIVE,
    'prefetch': _NON_NEGATIVE,
    # latent codes
    'latent.noise_dim': _NON_NEGATIVE,
    'latent.noise_prior': _choice(*latents.NOISE_PRIORS),
    'latent.categorical': _int_tuple(
        latents.MIN_CATEGORIES, f'a tuple of integers >= {latents.MIN_CATEGORIES} '
        '(categories per code), possibly empty', True),
    'latent.continuous': _NON_NEGATIVE,
    'latent.learn_cont_std': _boolean(),
    'latent.condition_d': _boolean(),
    'latent.guided_code': _integer(-1, None, 'an integer >= -1 (-1: no guided code)'),
    # networks
    'model.arch': _choice(*models.ARCHS),
    'model.g_widths': _WIDTHS,
    'model.d_widths': _WIDTHS,
    'model.q_width': _POSITIVE,
    'model.leaky_slope': _number(lo=0, hi=1, text='a number in [0, 1]'),
    'model.output_activation': _choice(*models.OUTPUT_ACTIVATIONS),
    'model.weight_init': _choice(*models.WEIGHT_INITS),
    'model.compute_dtype': _choice(*models.COMPUTE_DTYPES),
    'model.d_norm': _choice(*models.D_NORMS),
    'model.minibatch_kernels': _NON_NEGATIVE,
    'model.minibatch_kernel_dim': _POSITIVE,
    # the adversarial game
    'objective.adversarial': _choice(*objectives.ADVERSARIAL),
    'objective.gp_weight': _WEIGHT,
    'objective.critic_steps': _POSITIVE,
    'objective.r1_weight': _WEIGHT,
    'objective.label_smoothing': _number(lo=0, hi=0.5, hi_open=True,
                                         text='a number in [0, 0.5)'),
    # losses
    'lambda_cat': _WEIGHT,
    'lambda_cont': _WEIGHT,
    'gan_baseline': _boolean(),
    # ss-InfoGAN
    'semi_supervised.labels_per_class': _integer(
        semi_supervised.ALL_LABELS, 2**31 - 1,
        text=f'an integer >= 0, or {semi_supervised.ALL_LABELS} for every training label'),
    'semi_supervised.weight': _WEIGHT,
    'semi_supervised.share_start': _SHARE,
    'semi_supervised.share_end': _SHARE,
    'semi_supervised.share_steps': _NON_NEGATIVE,
    'semi_supervised.generated_weight': _WEIGHT,
    # consistency under deformations
    'consistency.weight': _WEIGHT,
    'consistency.rotation': _number(lo=0, hi=180, text='a number of degrees in [0, 180]'),
    'consistency.scale': _number(lo=0, hi=1, hi_open=True, text='a number in [0, 1)'),
    'consistency.shift': _number(lo=0, text='a number of pixels >= 0'),
    # VAE-GAN
    'vae.encoder': _boolean(),
    'vae.gamma': _WEIGHT,
    'vae.reconstruction': _choice(*vaegan.RECONSTRUCTIONS),
    'vae.learning_rate': _RATE,
    # optimisation
    'd_learning_rate': _RATE,
    'g_learning_rate': _RATE,
    'beta1': _BETA,
    'beta2': _BETA,
    'batch_size': _POSITIVE,
    'num_train_steps': _POSITIVE,
    'steps_per_dispatch': _POSITIVE,
    'seed': _integer(0, 2**31 - 1),
    'num_seeds': _POSITIVE,
    'on_nonfinite': _choice(*reliability.NONFINITE_POLICIES),
    # bookkeeping
    'log_every_steps': _NON_NEGATIVE,
    'sample_every_steps': _NON_NEGATIVE,
    'checkpoint_every_steps': _NON_NEGATIVE,
    'keep_checkpoints': _POSITIVE,
    # evaluation
    'eval.classifier_dir': _string(),
    'eval.num_samples': _POSITIVE,
    'eval.num_sweep_noise': _POSITIVE,
    'eval.baseline_workdir': _string(),
    'eval.restarts': _POSITIVE,
}
# Fields a config may lack (configs and config.json files older than the field): the
# value such runs used. `with_defaults` fills them in.
OPTIONAL = {'on_nonfinite': 'stop', 'gan_baseline': False,
            'model.weight_init': models.WEIGHT_INITS[0], 'data_reader': 'tfds',
            'data_placement': 'host', 'steps_per_dispatch': 1, 'num_seeds': 1,
            'latent.guided_code': -1, 'latent.condition_d': False,
            'semi_supervised.labels_per_class': 0,
            'semi_supervised.weight': 2.0, 'semi_supervised.share_start': 1.0,
            'semi_supervised.share_end': 0.01, 'semi_supervised.share_steps': 1000,
            'semi_supervised.generated_weight': 0.0,
            'model.d_norm': 'batch', 'model.minibatch_kernels': 0,
            'model.minibatch_kernel_dim': 5, 'objective.adversarial': 'nonsaturating',
            'objective.gp_weight': 10.0, 'objective.critic_steps': 1,
            'objective.label_smoothing': 0.0, 'objective.r1_weight': 0.0,
            # runs before the consistency term had none: weight 0, no deformation
            'consistency.weight': 0.0, 'consistency.rotation': 0.0, 'consistency.scale': 0.0,
            'consistency.shift': 0.0,
            'vae.encoder': False, 'vae.gamma': 1.0, 'vae.reconstruction': 'features',
            'vae.learning_rate': 2e-4}
OPTIONAL_GROUPS = ('eval',)   # only read by eval.py


_MISSING = object()


def _get(config, field):
  value = config
  for part in field.split('.'):
    try:
      value = value[part]
    except (KeyError, TypeError, AttributeError):
      return _MISSING
  return value


def _check_per_image_penalty(config, what: str, example: str = '') -> None:
  """WGAN-GP's and R1's penalties are on each image's gradient of its own score."""
  if config.model.arch in models.IMAGE_ARCHS and config.model.d_norm == 'batch':
    raise ConfigError(f"{what} penalises each image's gradient, which BatchNorm in D couples "
                      "across the batch: set config.model.d_norm='layer' or 'none'" + example)
  if config.model.minibatch_kernels:
    raise ConfigError(f"{what} penalises each image's gradient, which minibatch "
                      'discrimination couples across the batch: set '
                      'config.model.minibatch_kernels=0')


def _check_cgan(config) -> None:
  if not config.latent.condition_d:
    return
  ss = config.semi_supervised
  if not (ss.labels_per_class == semi_supervised.ALL_LABELS and ss.share_start == 1
          and ss.share_end == 1):
    raise ConfigError('config.latent.condition_d=True gives D every real image\'s label: set '
                      f'config.semi_supervised.labels_per_class={semi_supervised.ALL_LABELS} '
                      'and share_start = share_end = 1 (configs/cgan.py)')
  if config.objective.adversarial == 'wgan_gp':
    raise ConfigError("config.latent.condition_d=True: WGAN-GP's penalty between real and "
                      'generated images of different labels is not defined here; use '
                      "config.objective.adversarial='nonsaturating'")
  if config.consistency.weight:
    raise ConfigError('config.latent.condition_d=True with config.consistency.weight > 0 is '
                      'not supported: set config.consistency.weight=0')


def _check_vae(config) -> None:
  vae, latent = config.vae, config.latent
  if not vae.encoder:
    if config.objective.adversarial == 'none':
      raise ConfigError("config.objective.adversarial='none' leaves G nothing to learn "
                        'without an encoder: set config.vae.encoder=True (configs/vae.py)')
    return
  if latent.categorical or latent.continuous:
    raise ConfigError('config.vae.encoder=True encodes the generator\'s noise only: set '
                      'config.latent.categorical=() and config.latent.continuous=0 '
                      '(configs/vaegan.py)')
  if latent.noise_prior != 'normal' or latent.noise_dim < 1:
    raise ConfigError("config.vae.encoder=True needs the VAE's N(0, I) prior over the noise: "
                      "set config.latent.noise_prior='normal' and config.latent.noise_dim > 0")
  if config.objective.adversarial == 'wgan_gp' or config.objective.critic_steps != 1:
    raise ConfigError("config.vae.encoder=True plays the paper's GAN, one D step per G "
                      "step: set config.objective.adversarial='nonsaturating' (or 'none' "
                      'for a VAE) and config.objective.critic_steps=1')
  if config.objective.adversarial == 'none' and vae.reconstruction == 'features':
    raise ConfigError("config.vae.reconstruction='features' measures it in D's features, "
                      "which config.objective.adversarial='none' never trains: use "
                      "'pixels' (configs/vae.py)")
  if config.gan_baseline:
    raise ConfigError('config.gan_baseline=True has no codes to infer; with '
                      'config.vae.encoder=True set it to False')


def with_defaults(config) -> ml_collections.ConfigDict:
  """A copy of `config` in which every missing OPTIONAL field has the value runs without
  it used."""
  config = ml_collections.ConfigDict(config.to_dict())
  for field, value in OPTIONAL.items():
    if _get(config, field) is _MISSING:
      *groups, name = field.split('.')
      target = config
      for group in groups:
        if group not in target:
          target[group] = ml_collections.ConfigDict()
        target = target[group]
      target[name] = value
  return config


def validate(config, num_devices: int = None,
             num_processes: int = None) -> ml_collections.ConfigDict:
  """Raises ConfigError on the first field that cannot work; returns the config with
  missing OPTIONAL fields filled in (`with_defaults`)."""
  for field, rule in RULES.items():
    value = _get(config, field)
    if value is _MISSING:
      if field in OPTIONAL or field.split('.')[0] in OPTIONAL_GROUPS:
        continue
      raise ConfigError(f'config.{field} is missing: every config must define it '
                        f'({rule.allowed}; see configs/default.py)')
    if not rule.check(value):
      raise ConfigError(f'config.{field} must be {rule.allowed}, got {value!r}')
  config = with_defaults(config)

  try:  # the latent layout's own rules (the generator has an input)
    latents.LatentSpec.from_config(config.latent)
  except ValueError as e:
    raise ConfigError(str(e)) from None
  if config.objective.adversarial == 'wgan_gp':
    _check_per_image_penalty(config, "config.objective.adversarial='wgan_gp'",
                             ' (configs/wgan_gp.py)')
    if config.objective.label_smoothing:
      raise ConfigError('config.objective.label_smoothing is for the non-saturating GAN; '
                        "WGAN-GP's critic has no targets to smooth")
  if config.objective.r1_weight:
    if config.objective.adversarial != 'nonsaturating':
      raise ConfigError('config.objective.r1_weight is for the non-saturating GAN; '
                        f"config.objective.adversarial={config.objective.adversarial!r} "
                        'has its own (wgan_gp: gp_weight) or no D: set it to 0')
    _check_per_image_penalty(config, 'config.objective.r1_weight > 0')
  _check_vae(config)
  _check_cgan(config)
  ss = config.semi_supervised
  if semi_supervised.enabled(config):
    guided = config.latent.guided_code
    classes = input_pipeline.num_classes(config.dataset)
    if not classes:
      raise ConfigError(f'config.semi_supervised.labels_per_class={ss.labels_per_class} '
                        f'needs labels; config.dataset={config.dataset!r} has none')
    if guided < 0:
      raise ConfigError(f'config.semi_supervised.labels_per_class={ss.labels_per_class} '
                        'guides a categorical code: set config.latent.guided_code to its '
                        'index (configs/mnist_ss.py)')
    if config.latent.categorical[guided] != classes:
      raise ConfigError(
          f'config.latent.guided_code={guided} names a code of '
          f'{config.latent.categorical[guided]} categories; config.dataset='
          f'{config.dataset!r} has {classes} classes (labels): they must agree')
    if config.gan_baseline:
      raise ConfigError('config.gan_baseline=True has no information terms for G; it '
                        'cannot be combined with config.semi_supervised.labels_per_class')
  if config.consistency.weight:
    if not config.latent.categorical:
      raise ConfigError(f'config.consistency.weight={config.consistency.weight} compares Q\'s '
                        'categorical posteriors: config.latent.categorical needs a code')
    if len(input_pipeline.image_shape(config.dataset)) != 3:
      raise ConfigError(f'config.consistency.weight={config.consistency.weight} deforms '
                        f'images; config.dataset={config.dataset!r} has none: set it to 0')
    if config.gan_baseline:
      raise ConfigError('config.gan_baseline=True trains Q on detached features only; '
                        'set config.consistency.weight=0')
  if config.model.arch in models.IMAGE_ARCHS:
    shape = input_pipeline.image_shape(config.dataset)
    if len(shape) != 3:
      images = [d for d in input_pipeline.DATASETS
                if len(input_pipeline.image_shape(d)) == 3]
      raise ConfigError(f"config.model.arch={config.model.arch!r} needs image data "
                        f"(config.dataset in {images}), got config.dataset="
                        f"{config.dataset!r}; use config.model.arch='mlp'")
    problem = models.widths_problem(config.model.arch, tuple(config.model.g_widths),
                                    tuple(config.model.d_widths), shape)
    if problem:
      raise ConfigError(problem)
  if (config.dataset not in input_pipeline.DEVICE_DATASETS
      and config.data_placement == 'device'):
    raise ConfigError(f"config.data_placement='device' keeps an image dataset on the "
                      f'device (config.dataset in {input_pipeline.DEVICE_DATASETS}); '
                      f"config.dataset={config.dataset!r} is generated on the host: use "
                      "'host' or 'auto'")
  if (config.data_reader == 'archives' and config.dataset in input_pipeline.TFDS_NAMES
      and config.dataset not in input_pipeline.ARCHIVE_DATASETS):
    raise ConfigError(f"config.data_reader='archives' reads the MNIST archives; "
                      f"config.dataset={config.dataset!r} comes through tensorflow-datasets: "
                      "use 'tfds' or 'auto'")
  if config.data_reader == 'archives' and config.data_placement == 'host':
    raise ConfigError("config.data_placement='host' streams through tf.data from "
                      "tensorflow-datasets; with config.data_reader='archives' use "
                      "config.data_placement='device' (or 'auto')")
  if config.steps_per_dispatch > 1 and input_pipeline.placement(config) != 'device':
    raise ConfigError(f'config.steps_per_dispatch={config.steps_per_dispatch} runs several '
                      "steps per call on data kept on the device: set "
                      "config.data_placement='device' (MNIST), or steps_per_dispatch=1")
  if config.num_seeds > 1 and input_pipeline.placement(config) != 'device':
    raise ConfigError(f'config.num_seeds={config.num_seeds} trains the seeds together on data '
                      "kept on the device: set config.data_placement='device' (MNIST)")
  if config.seed + config.num_seeds - 1 > 2**31 - 1:
    raise ConfigError(f'config.seed + config.num_seeds - 1 must be <= {2**31 - 1}')
  if num_processes is None:
    num_processes = jax.process_count()
  if num_devices is None:
    num_devices = jax.device_count()
  if config.batch_size % num_devices:
    raise ConfigError(f'config.batch_size={config.batch_size} is not divisible by the '
                      f'{num_devices} devices in use; choose a multiple of {num_devices}.')
  if config.batch_size % num_processes:
    raise ConfigError(f'config.batch_size={config.batch_size} is not divisible by the '
                      f'{num_processes} processes; choose a multiple of {num_processes}.')
  return config
