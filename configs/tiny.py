"""A seconds-long MNIST-shaped config for tests (use with tfds.testing.mock_data)."""
from configs import default


def get_config():
  config = default.get_config()
  config.latent.noise_dim = 8
  config.latent.categorical = (3, 2)
  config.latent.continuous = 1
  config.model.g_widths = (32, 8, 8)
  config.model.d_widths = (8, 8, 32)
  config.model.q_width = 16
  config.batch_size = 8
  config.num_train_steps = 4
  config.shuffle_buffer = 16
  config.log_every_steps = 2
  config.sample_every_steps = 2
  config.checkpoint_every_steps = 2
  config.keep_checkpoints = 2
  return config


# The fields that make tiny's run seconds long (batch, steps, logging, checkpoints).
RUN_FIELDS = ('batch_size', 'num_train_steps', 'shuffle_buffer', 'log_every_steps',
              'sample_every_steps', 'checkpoint_every_steps', 'keep_checkpoints')


def short_run(config):
  """`config` (changed in place and returned) with tiny's seconds-long run; its networks,
  data and codes stay as they are."""
  tiny = get_config()
  for field in RUN_FIELDS:
    config[field] = tiny[field]
  return config


def cyclegan_config():
  """configs/cyclegan.py with networks and a pool small enough for seconds-long tests."""
  from configs import cyclegan
  config = short_run(cyclegan.get_config())
  config.cyclegan.filters = 4
  config.cyclegan.residual_blocks = 1
  config.cyclegan.pool_size = 4
  return config
