"""The plain VAE that VAE-GAN is compared with (configs/vaegan.py): the same encoder and
generator (as decoder), the reconstruction error in pixels (a unit-variance Gaussian), no
discriminator in the game (config.objective.adversarial='none'; D is built, never trained).

    python train.py --config=configs/vae.py --workdir=runs/vae
    python eval.py --config=configs/vae.py --workdir=runs/vae
"""
from configs import vaegan


def get_config():
  config = vaegan.get_config()
  config.vae.reconstruction = 'pixels'
  config.vae.gamma = 1.0       # G minimises the VAE's own loss: the pixel error
  config.objective.adversarial = 'none'
  return config
