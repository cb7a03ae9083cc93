"""VAE-GAN on MNIST (Larsen et al. 2016; infogan_jax/games/vaegan.py): an encoder with D's trunk
design gives q(z | x) over the generator's 62 noise variables (N(0, I) prior, no codes); the
generator decodes; the reconstruction error is measured in D's last convolution (7x7x128).

    python train.py --config=configs/vaegan.py --workdir=runs/vaegan
    python eval.py --config=configs/vaegan.py --workdir=runs/vaegan

eval.py reports pixel and feature reconstruction errors, the classifier's accuracy on the
reconstructions, Frechet distances of samples and of reconstructions, and draws real digits
beside their reconstructions and interpolations between two encodings. configs/vae.py is
the plain VAE with the same networks, for comparison.
"""
from configs import default


def get_config():
  config = default.get_config()
  config.latent.noise_prior = 'normal'
  config.latent.categorical = ()
  config.latent.continuous = 0
  config.vae.encoder = True
  config.vae.reconstruction = 'features'
  config.vae.gamma = 1e-2
  return config
