"""ss-InfoGAN (configs/mnist_ss.py) with the consistency term (infogan_jax/consistency.py):
Q's categories of each real training image and of a randomly deformed copy must agree, so the
guided head also learns from the 60,000 unlabelled images, not only from the 100 labelled ones.

    python train.py --config=configs/mnist_ss_consistency.py --workdir=runs/ss_consistency
    python eval.py --config=configs/mnist_ss_consistency.py --workdir=runs/ss_consistency

Measured so far at 1,000 steps only (docs/results.md, ss-InfoGAN): seeds 0-4 at the default
5,000 steps are the next measurement (scripts/gpu_seed_sweeps.sh).
"""
from configs import mnist_ss


def get_config():
  config = mnist_ss.get_config()
  config.consistency.weight = 1.0
  return config
