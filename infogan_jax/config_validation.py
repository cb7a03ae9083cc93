"""Checks a config before any work starts; every message names the field to fix."""
from __future__ import annotations

import jax

from infogan_jax.input_pipeline import DATASETS


class ConfigError(ValueError):
  pass


def _positive_int(config, field, allow_zero=False):
  value = config
  for part in field.split('.'):
    value = getattr(value, part)
  ok = isinstance(value, int) and not isinstance(value, bool) and (
      value >= 0 if allow_zero else value > 0)
  if not ok:
    rule = '>= 0' if allow_zero else '> 0'
    raise ConfigError(f'config.{field} must be an integer {rule}, got {value!r}')


def _positive_float(config, field):
  value = getattr(config, field)
  if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
    raise ConfigError(f'config.{field} must be a number > 0, got {value!r}')


def validate(config, num_devices: int = None) -> None:
  """Raises ConfigError on the first field that cannot work."""
  if config.dataset not in DATASETS:
    raise ConfigError(f'config.dataset must be one of {DATASETS}, got {config.dataset!r}')
  for field in ('batch_size', 'num_train_steps', 'shuffle_buffer', 'keep_checkpoints',
                'latent.noise_dim', 'model.q_width'):
    _positive_int(config, field, allow_zero=field == 'latent.noise_dim')
  for field in ('log_every_steps', 'sample_every_steps', 'checkpoint_every_steps',
                'prefetch', 'seed', 'latent.continuous'):
    _positive_int(config, field, allow_zero=True)
  for field in ('d_learning_rate', 'g_learning_rate'):
    _positive_float(config, field)
  for field in ('beta1', 'beta2'):
    value = getattr(config, field)
    if not isinstance(value, (int, float)) or not 0 <= value < 1:
      raise ConfigError(f'config.{field} must be in [0, 1), got {value!r}')
  for field in ('lambda_cat', 'lambda_cont'):
    value = getattr(config, field)
    if not isinstance(value, (int, float)) or value < 0:
      raise ConfigError(f'config.{field} must be a number >= 0, got {value!r}')
  cats = config.latent.categorical
  if not isinstance(cats, (tuple, list)) or any(
      not isinstance(k, int) or k < 2 for k in cats):
    raise ConfigError('config.latent.categorical must be a tuple of integers >= 2 '
                      f'(categories per code), got {cats!r}')
  if not cats and not config.latent.continuous:
    raise ConfigError('InfoGAN needs a code: set config.latent.categorical and/or '
                      'config.latent.continuous')
  if config.latent.noise_prior not in ('uniform', 'normal'):
    raise ConfigError("config.latent.noise_prior must be 'uniform' or 'normal', "
                      f'got {config.latent.noise_prior!r}')
  if num_devices is None:
    num_devices = jax.device_count()
  if config.batch_size % num_devices:
    raise ConfigError(f'config.batch_size={config.batch_size} is not divisible by the '
                      f'{num_devices} devices in use; choose a multiple of {num_devices}.')
