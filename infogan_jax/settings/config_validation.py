"""Checks a config before any work starts; every message names the field and what it allows.

Each field is declared once, in infogan_jax/settings/fields.py (`FIELDS`): its default
(configs/default.py is built from it), its rule, and what a config lacking it means. Type
and range are checked first, field by field in FIELDS' order, then the combinations. The
allowed values belong to the modules that use them (models, latents, input_pipeline,
reliability, ...); the rules ask them.
"""
from __future__ import annotations

import copy
import types

import jax
import ml_collections

from infogan_jax.data import input_pipeline
from infogan_jax.networks import latents
from infogan_jax.networks import models
from infogan_jax.data import semi_supervised
from infogan_jax.errors import ConfigError
from infogan_jax.settings import fields as fields_lib

# Views of fields.FIELDS (read-only; declare a field there):
# field -> its rules.Rule
RULES = types.MappingProxyType({f.name: f.rule for f in fields_lib.FIELDS})
# Fields a config may lack (configs and config.json files older than the field) -> the
# value such runs used. `with_defaults` fills them in.
OPTIONAL = types.MappingProxyType(
    {f.name: f.old_default for f in fields_lib.FIELDS if f.fills_in})


def _check_per_image_penalty(config, what: str, example: str = '') -> None:
  """WGAN-GP's and R1's penalties are on each image's gradient of its own score."""
  if config.model.arch in models.IMAGE_ARCHS and config.model.d_norm == 'batch':
    raise ConfigError(f"{what} penalises each image's gradient, which BatchNorm in D couples "
                      "across the batch: set config.model.d_norm='layer' or 'none'" + example)
  if config.model.minibatch_kernels:
    raise ConfigError(f"{what} penalises each image's gradient, which minibatch "
                      'discrimination couples across the batch: set '
                      'config.model.minibatch_kernels=0')


def _check_cyclegan(config) -> None:
  if not config.cyclegan.enabled:
    return
  c = config.cyclegan
  if config.vae.encoder:
    raise ConfigError('config.cyclegan.enabled=True and config.vae.encoder=True are two games: '
                      'set one of them to False')
  for field, dataset in (('dataset', config.dataset), ('cyclegan.domain_y', c.domain_y)):
    if dataset not in input_pipeline.DEVICE_DATASETS:
      raise ConfigError(f'config.cyclegan.enabled=True keeps both image domains on the device: '
                        f'config.{field}={dataset!r} must be one of '
                        f'{input_pipeline.DEVICE_DATASETS}')
  x_shape = input_pipeline.image_shape(config.dataset)
  y_shape = input_pipeline.image_shape(c.domain_y)
  if x_shape != y_shape:
    raise ConfigError(f'config.cyclegan.enabled=True translates between images of one shape: '
                      f'config.dataset={config.dataset!r} has {x_shape}, '
                      f'config.cyclegan.domain_y={c.domain_y!r} has {y_shape}')
  if x_shape[0] % 4 or x_shape[1] % 4:
    raise ConfigError(f"CycleGAN's generator halves the image twice: config.dataset="
                      f'{config.dataset!r} has {x_shape[0]}x{x_shape[1]} images, whose sides '
                      'are not divisible by 4')
  if config.data_placement == 'host':
    raise ConfigError("config.cyclegan.enabled=True draws both domains' batches on the "
                      "device: set config.data_placement='device' (or 'auto')")
  if config.num_seeds > 1:
    raise ConfigError('config.cyclegan.enabled=True trains one seed per run: set '
                      'config.num_seeds=1 and run each seed with --config.seed=<n>')


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
  """A copy of `config` in which every missing field that older runs may lack has the
  value runs without it used (its `old_default` in fields.FIELDS)."""
  config = ml_collections.ConfigDict(config.to_dict())
  for field in fields_lib.FIELDS:
    if field.fills_in and fields_lib.lookup(config, field.name) is fields_lib.MISSING:
      fields_lib.assign(config, field.name, copy.deepcopy(field.old_default))
  return config


def _check_fields(config, fields) -> None:
  for field in fields:
    value = fields_lib.lookup(config, field.name)
    if value is fields_lib.MISSING:
      if field.optional:
        continue
      raise ConfigError(f'config.{field.name} is missing: every config must define it '
                        f'({field.rule.allowed}; see infogan_jax/settings/fields.py)')
    if not field.rule.check(value):
      raise ConfigError(f'config.{field.name} must be {field.rule.allowed}, got {value!r}')


def check_group(config, group: str) -> None:
  """Raises ConfigError on the first field of `group` ('eval': config.eval.*) whose value
  its rule refuses: for the commands that read only that group (eval.py)."""
  _check_fields(config, [f for f in fields_lib.FIELDS if f.name.startswith(group + '.')])


def validate(config, num_devices: int = None,
             num_processes: int = None) -> ml_collections.ConfigDict:
  """Raises ConfigError on the first field that cannot work; returns the config with
  missing OPTIONAL fields filled in (`with_defaults`)."""
  _check_fields(config, fields_lib.FIELDS)
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
  _check_cyclegan(config)
  ss = config.semi_supervised
  if semi_supervised.SemiSupervisedSettings.from_config(config).enabled:
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
  placement = input_pipeline.placement(input_pipeline.DataSettings.from_config(config))
  if config.steps_per_dispatch > 1 and placement != 'device':
    raise ConfigError(f'config.steps_per_dispatch={config.steps_per_dispatch} runs several '
                      "steps per call on data kept on the device: set "
                      "config.data_placement='device' (MNIST), or steps_per_dispatch=1")
  if config.num_seeds > 1 and placement != 'device':
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
