"""CycleGAN's networks (Zhu et al. 2017 and its reference code, scaled from 256x256 to
MNIST's 28x28): a ResNet-style generator and a PatchGAN discriminator, both with instance
normalisation, so neither keeps batch statistics (the state holds parameters alone).

Generator, the reference's `resnet_9blocks` with base width k = `filters`:
    c7s1-k, d2k, d4k, R4k x `residual_blocks`, u2k, uk, c7s1-C, tanh
(7x7 convolutions on reflection-padded maps at both ends, two stride-2 3x3 convolutions
down, residual blocks of two 3x3 convolutions, two stride-2 3x3 transposed convolutions
up). The stride-2 layers are the project's fast forms (layers.py); the down-convolutions
pad one zero after each side where the reference pads one on both (the same output size;
the taps sit half a pixel apart). 28x28 images reach 7x7 at the bottom. The reference's 9 blocks are for 256x256 images;
a 7x7 map needs far fewer (configs/cyclegan.py says what it uses).

Discriminator, the reference's PatchGAN with n_layers = 2 (its 70x70 patches on 256x256
images are 27% of the side; here each of the 7x7 outputs sees a 22x22 patch, 79%, since a
digit's class spans most of its image): C k (no norm), C 2k, then a 4x4 convolution to one
score per patch; 4x4 kernels, stride 2, 2, 1, LeakyReLU 0.2.
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from infogan_jax.networks.layers import Conv2x, ConvTranspose2x

# The reference initialises every convolution from N(0, 0.02) (its init_type='normal').
_INIT = nn.initializers.normal(0.02)


def _reflect(x, pad: int):
  return jnp.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode='reflect')


def _instance_norm():
  # The reference's InstanceNorm2d has no learnt affine parameters (affine=False).
  return nn.InstanceNorm(epsilon=1e-5, use_scale=False, use_bias=False)


class ResidualBlock(nn.Module):
  features: int

  @nn.compact
  def __call__(self, x):
    y = x
    for i in range(2):
      y = _instance_norm()(nn.Conv(self.features, (3, 3), padding='VALID',
                                   kernel_init=_INIT)(_reflect(y, 1)))
      if i == 0:
        y = nn.relu(y)
    return x + y


class ResnetGenerator(nn.Module):
  """An image-to-image generator: [N, H, W, C] in [-1, 1] -> [N, H, W, C] in [-1, 1]
  (H and W divisible by 4)."""
  filters: int = 32
  residual_blocks: int = 3
  channels: int = 1

  @nn.compact
  def __call__(self, x):
    k = self.filters
    norm_relu = lambda y: nn.relu(_instance_norm()(y))
    x = norm_relu(nn.Conv(k, (7, 7), padding='VALID', kernel_init=_INIT)(_reflect(x, 3)))
    for width in (2 * k, 4 * k):   # (the project's stride-2 layers: layers.py)
      x = norm_relu(Conv2x(width, kernel_size=3, kernel_init=_INIT)(x))
    for _ in range(self.residual_blocks):
      x = ResidualBlock(4 * k)(x)
    for width in (2 * k, k):
      x = norm_relu(ConvTranspose2x(width, kernel_size=3, kernel_init=_INIT)(x))
    x = nn.Conv(self.channels, (7, 7), padding='VALID', kernel_init=_INIT)(_reflect(x, 3))
    return jnp.tanh(x)


class PatchDiscriminator(nn.Module):
  """[N, H, W, C] -> one raw score per patch [N, H/4, W/4] (the least-squares loss reads
  raw scores: no sigmoid)."""
  filters: int = 32

  @nn.compact
  def __call__(self, x):
    k = self.filters
    x = nn.leaky_relu(Conv2x(k, kernel_size=4, kernel_init=_INIT)(x), 0.2)
    x = Conv2x(2 * k, kernel_size=4, kernel_init=_INIT)(x)
    x = nn.leaky_relu(_instance_norm()(x), 0.2)
    x = nn.Conv(1, (4, 4), padding='SAME', kernel_init=_INIT)(x)
    return x[..., 0]


def init(module: nn.Module, rng: jax.Array, image_shape) -> dict:
  """The parameters of a translation network for images of `image_shape`."""
  return module.init(rng, jnp.zeros((1,) + tuple(image_shape), jnp.float32))['params']
