"""CGAN on MNIST (Mirza & Osindero 2014, "Conditional generative adversarial nets"): G(z, y)
with y the digit, and D(x, y) judging an image together with its label (a real image's own
label, a generated image's y); the paper's InfoGAN networks (configs/mnist.py), no codes for
Q to infer.

    python train.py --config=configs/cgan.py --workdir=runs/cgan
    python eval.py --config=configs/cgan.py --workdir=runs/cgan   # conditional generation accuracy

The label is the guided code of the ss-InfoGAN machinery (infogan_jax/data/semi_supervised.py)
with every label in every batch, as in configs/acgan.py; config.latent.condition_d makes it
D's condition instead of a code Q predicts. It enters D through a projection on the trunk's
features (models.Discriminator says why), not at D's input as in Mirza & Osindero.
"""
from configs import default


def get_config():
  config = default.get_config()
  config.latent.categorical = (10,)
  config.latent.continuous = 0
  config.latent.guided_code = 0
  config.latent.condition_d = True
  ss = config.semi_supervised
  ss.labels_per_class = -1                 # every training image keeps its label
  ss.share_start = ss.share_end = 1.0      # every batch is labelled
  ss.weight = 0.0                          # no classifier term: D reads the label instead
  return config
