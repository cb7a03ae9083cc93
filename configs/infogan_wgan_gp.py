"""InfoGAN's codes and information term on WGAN-GP's game (configs/wgan_gp.py): Q shares
the critic's trunk (no normalisation there; Q's own head keeps its BatchNorm) and L_I is
added to the critic's and the generator's losses, as InfoGAN adds it to D's and G's.

    python train.py --config=configs/infogan_wgan_gp.py --workdir=runs/infogan_wgan_gp
"""
from configs import default, wgan_gp


def get_config():
  config = wgan_gp.get_config()
  infogan = default.get_config()
  config.latent.categorical = infogan.latent.categorical
  config.latent.continuous = infogan.latent.continuous
  return config
