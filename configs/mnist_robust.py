"""InfoGAN on MNIST plus consistency of Q's categories under small deformations
(infogan_jax/consistency.py): D/Q also maximise IIC's I(y; y') between Q's categorical
posteriors for a real digit and a copy rotated up to 15 degrees, scaled by 1 +- 0.1 and
shifted up to 2 pixels. Label-free; aimed at the seeds on which configs/mnist.py's
categories mix two digits (4/9, 3/5/8) or split one. Results: docs/results.md.

    python train.py --config=configs/mnist_robust.py --workdir=runs/mnist_robust

Everything else is configs/mnist.py's InfoGAN (the paper's objective). Weight 1 puts the
term on the scale of the categorical information term (both at most ln 10 nats).
"""
from configs import default


def get_config():
  config = default.get_config()
  config.consistency.weight = 1.0
  return config
