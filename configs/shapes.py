"""InfoGAN on the project's dSprites-like shapes (infogan_jax/shapes.py): 32x32 binary images
of a square, ellipse or heart at a known scale, orientation and position. One Cat(3) code for
the shape and four continuous codes for the other four factors, so that eval.py can measure
how well each code matches one factor (MIG, per-factor table).

    python train.py --config=configs/shapes.py --workdir=runs/shapes
    python eval.py --config=configs/shapes.py --workdir=runs/shapes

The networks are the paper's MNIST networks (configs/mnist.py) on 32x32 images: G's fully
connected layers feed an 8x8 map that two stride-2 up-convolutions take to 32x32, and D's
two stride-2 convolutions take 32x32 to 8x8. The paper's dSprites-scale networks (Appendix C
uses 64x64 for its 3-D faces and chairs) would be about four times the compute per image.
The data is made in memory (60,000 training and 10,000 test images, the same for every run)
and kept on the device.
"""
from configs import default


def get_config():
  config = default.get_config()
  config.dataset = 'shapes'
  config.latent.categorical = (3,)
  config.latent.continuous = 4
  return config
