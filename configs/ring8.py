"""Toy 2-D InfoGAN: 8 Gaussians on a ring, one Cat(8) code, small MLPs, no tfds.

Each category should capture one mode within a CPU minute.
"""
from configs import default


def get_config():
  config = default.get_config()
  config.dataset = 'ring8'
  config.latent.noise_dim = 4
  config.latent.categorical = (8,)
  config.latent.continuous = 0
  config.model.arch = 'mlp'
  config.model.g_widths = (128, 128)
  config.model.d_widths = (128, 128)
  config.model.q_width = 64
  config.model.output_activation = 'none'
  config.d_learning_rate = 1e-3
  config.g_learning_rate = 1e-3
  config.batch_size = 256
  config.num_train_steps = 1500
  config.log_every_steps = 250
  config.sample_every_steps = 0
  config.checkpoint_every_steps = 0
  return config
