"""ACGAN on MNIST (Odena, Olah, Shlens 2017, "Conditional image synthesis with auxiliary
classifier GANs"): G(z, c) with c the digit, and D's trunk also classifies every image's
digit; the paper's networks (configs/mnist.py), no continuous codes.

    python train.py --config=configs/acgan.py --workdir=runs/acgan
    python eval.py --config=configs/acgan.py --workdir=runs/acgan   # conditional generation accuracy

ACGAN is the ss-InfoGAN machinery (infogan_jax/data/semi_supervised.py) with every label: the
guided code is the class, every batch is labelled (labels_per_class = -1, share 1), and its
head (one dense layer on D's trunk) learns the class of real images (their label) and of
generated ones (their code), while G learns to make images it classifies as their code. The
paper's L_C, for D and G alike, at weight 1. Labelled batches are drawn with replacement
from the training split.
"""
from configs import default


def get_config():
  config = default.get_config()
  config.latent.categorical = (10,)
  config.latent.continuous = 0
  config.latent.guided_code = 0
  ss = config.semi_supervised
  ss.labels_per_class = -1                 # every training image keeps its label
  ss.share_start = ss.share_end = 1.0      # every batch is labelled
  ss.weight = 1.0                          # L_C on real images (D) and generated ones (G)
  ss.generated_weight = 1.0                # L_C on generated images for D as well
  return config
