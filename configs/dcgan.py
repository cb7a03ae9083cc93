"""DCGAN on MNIST: InfoGAN's networks and game without codes (no Q, no information term).

    python train.py --config=configs/dcgan.py --workdir=runs/dcgan
"""
from configs import default


def get_config():
  config = default.get_config()
  config.latent.categorical = ()
  config.latent.continuous = 0
  return config
