"""InfoGAN on the project's dSprites-like shapes (infogan_jax/data/shapes.py): 32x32 binary images
of a square, ellipse or heart at a known scale, orientation and position. One Cat(3) code for
the shape and four continuous codes for the other four factors, so that eval.py can measure
how well each code matches one factor (MIG, per-factor table).

    python train.py --config=configs/shapes.py --workdir=runs/shapes
    python eval.py --config=configs/shapes.py --workdir=runs/shapes

Networks: the paper's MNIST layout (configs/mnist.py) at a quarter of its widths: G's fully
connected layers feed an 8x8 map that two stride-2 up-convolutions take to 32x32, and D's
two stride-2 convolutions take 32x32 to 8x8. At the paper's widths the shapes ran 2.3 times
fewer steps per second on the CPU and, without the consistency term below, learnt no more
(docs/results.md, "Known factors"); the paper's 64x64 networks (its 3-D faces and chairs)
would cost about four times the paper's MNIST networks per image.
The data is made in memory (60,000 training and 10,000 test images, the same for every run)
and kept on the device.

Two more departures from the paper's MNIST settings, each measured on these shapes
(docs/results.md, "Known factors"):
- no normalisation in D's trunk, and the R1 penalty (gamma 1) on real images: with
  BatchNorm D wins (D(real) 0.9 and more within 4,000 steps); without it and with R1 the
  game stays balanced (D(real) 0.50-0.52 from step 2,000 on);
- the consistency term of configs/mnist_consistency.py (IIC between Q's categories for a
  real image and a deformed copy), with the deformations spanning the shapes' other factors
  (any rotation, scale +-25%, shift +-4 pixels): without it the three categories split the
  image into three regions (position, the most visible variation) on every setting tried,
  and the shape was found by no code.
G still draws blobs of the right sizes and places rather than outlined shapes, and the
categorical code holds the size about as much as the shape (docs/results.md).
"""
from configs import default


def get_config():
  config = default.get_config()
  config.dataset = 'shapes'
  config.latent.categorical = (3,)
  config.latent.continuous = 4
  config.model.g_widths = (256, 64, 32)
  config.model.d_widths = (32, 64, 256)
  config.model.q_width = 64
  config.model.d_norm = 'none'
  config.objective.r1_weight = 1.0
  config.consistency.weight = 1.0
  config.consistency.rotation = 180.0
  config.consistency.scale = 0.25
  config.consistency.shift = 4.0
  return config
