"""InfoGAN on MNIST: 62 noise dims U(-1,1), one Cat(10) code, two continuous codes.

    python train.py --config=configs/mnist.py --workdir=runs/mnist
"""
from configs import default


def get_config():
  return default.get_config()
