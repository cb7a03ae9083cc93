"""ss-InfoGAN on MNIST (Spurr, Aksan, Hilliges 2017): 10 labelled images per digit guide
the Cat(10) code, so that category k generates digit k and Q's guided head classifies
digits. Everything else is configs/mnist.py's InfoGAN.

    python train.py --config=configs/mnist_ss.py --workdir=runs/mnist_ss
    python train.py --config=configs/mnist_ss.py --config.semi_supervised.labels_per_class=1 ...

The original code trains D at 1e-4 and weighs the unsupervised codes 0.8; we keep InfoGAN's
settings (configs/default.py) so that the two differ only in the guided code.
"""
from configs import default


def get_config():
  config = default.get_config()
  config.latent.guided_code = 0
  config.semi_supervised.labels_per_class = 10
  return config
