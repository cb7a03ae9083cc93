"""Generator G and the discriminator D with its auxiliary head Q (shared trunk).

Paper, Appendix C, Table 1 (MNIST):
  G: latent -> FC 1024, BN, ReLU -> FC 7x7x128, BN, ReLU
       -> 4x4 up-conv 64, stride 2, BN, ReLU -> 4x4 up-conv 1 -> output activation
  trunk: 4x4 conv 64, stride 2, lReLU -> 4x4 conv 128, stride 2, BN, lReLU
           -> FC 1024, BN, lReLU
  D head: FC -> 1 logit.   Q head: FC 128, BN, lReLU -> FC (Q's raw outputs).

Paper, Appendix C, Tables 3-4 (SVHN, CelebA; 32x32 colour), the 'deep_conv' architecture:
  G: latent -> FC 2x2x448, BN, ReLU -> 4x4 up-conv 256, stride 2, BN, ReLU
       -> 4x4 up-conv 128, stride 2, ReLU -> 4x4 up-conv 64, stride 2, ReLU -> 4x4 up-conv 3
  trunk: 4x4 conv 64, stride 2, lReLU -> 4x4 conv 128, stride 2, BN, lReLU
           -> 4x4 conv 256, stride 2, BN, lReLU   (D's and Q's heads read the flattened map)

The 'mlp' architecture keeps the same structure with dense layers for 2-D toy data.
Modules are used through their pure `apply`: params and batch_stats are explicit
pytrees. BatchNorm takes an optional `axis_name` so that, under pmap/shard_map,
batch statistics are computed over the global batch.

This module owns the model's choices (config.model.*: architectures, output activations
and the value range each implies for images, initialisations, compute dtypes);
config_validation asks it for them.
"""
from __future__ import annotations

import functools
import itertools
import math
from typing import Any, Optional, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from infogan_jax.networks.layers import Conv2x, ConvTranspose2x

ARCHS = ('conv', 'deep_conv', 'mlp')
IMAGE_ARCHS = ('conv', 'deep_conv')   # the architectures for images; 'mlp' for 2-D points
CONV_WIDTHS = 3   # conv: (FC, 7x7 channels, up-conv) for G, (conv, conv, FC) for D
# Flax's defaults (LeCun-normal kernels, BatchNorm scale 1) or the original code's
# (openai/InfoGAN, custom_ops.py): kernels N(0, 0.02), BatchNorm scale N(1, 0.02).
WEIGHT_INITS = ('lecun_normal', 'normal_0.02')
# Normalisation in D's trunk: BatchNorm (the paper's), LayerNorm, or none. WGAN-GP's
# gradient penalty needs each score to depend on its own image only: not BatchNorm.
D_NORMS = ('batch', 'layer', 'none')
COMPUTE_DTYPES = {'float32': jnp.float32, 'bfloat16': jnp.bfloat16}
OUTPUT_ACTIVATIONS = {'tanh': jnp.tanh, 'sigmoid': jax.nn.sigmoid, 'none': lambda x: x}
# The range of the generator's output, which real images are scaled to. 'none' is for
# the 2-D toy data, whose points lie around the unit circle.
_OUTPUT_RANGES = {'tanh': (-1.0, 1.0), 'sigmoid': (0.0, 1.0), 'none': (-1.0, 1.0)}


def output_range(output_activation: str):
  """(low, high) of generated images for config.model.output_activation."""
  return _OUTPUT_RANGES[output_activation]


def from_uint8(images, output_activation: str):
  """Pixel values 0..255 (as floats) -> the generator's output range; numpy, JAX and tf.data
  arrays alike, so that every input route scales the same way."""
  lo, hi = output_range(output_activation)
  return images * ((hi - lo) / 255.0) + lo


def to_unit(images, output_activation: str):
  """Images in the generator's output range -> [0, 1]."""
  lo, hi = output_range(output_activation)
  return (images - lo) / (hi - lo)


def _initializers(weight_init: str):
  """(kernel_init, BatchNorm scale_init) for config.model.weight_init."""
  if weight_init == 'normal_0.02':
    normal = nn.initializers.normal(0.02)
    return normal, lambda key, shape, dtype=jnp.float32: 1.0 + normal(key, shape, dtype)
  return nn.initializers.lecun_normal(), nn.initializers.ones_init()


def _batch_norm(train: bool, axis_name: Optional[str], dtype, scale_init):
  # PyTorch-style running averages (momentum 0.1 there = 0.9 here), eps 1e-5.
  return nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5,
                      axis_name=axis_name if train else None, dtype=dtype,
                      scale_init=scale_init)


class Generator(nn.Module):
  arch: str = 'conv'
  widths: Sequence[int] = (1024, 128, 64)
  image_shape: Sequence[int] = (28, 28, 1)
  output_activation: str = 'tanh'
  weight_init: str = 'lecun_normal'
  dtype: Any = jnp.float32
  axis_name: Optional[str] = None

  @nn.compact
  def __call__(self, latent, train: bool = True):
    kernel_init, scale_init = _initializers(self.weight_init)
    bn = functools.partial(_batch_norm, train, self.axis_name, self.dtype, scale_init)
    dense = functools.partial(nn.Dense, dtype=self.dtype, kernel_init=kernel_init)
    up_conv = functools.partial(ConvTranspose2x, kernel_size=4, dtype=self.dtype,
                                kernel_init=kernel_init)
    x = latent
    if self.arch == 'mlp':
      for width in self.widths:
        x = nn.relu(dense(width)(x))
      x = dense(math.prod(self.image_shape))(x)
      x = x.reshape((x.shape[0],) + tuple(self.image_shape))
    elif self.arch == 'deep_conv':
      # One stride-2 up-convolution per width: the FC layer's map is 2**len(widths) times
      # smaller than the image. BatchNorm after the first up-convolution only, as in the
      # paper's Tables 3-4 (the later ones are listed without it).
      h, w, c = self.image_shape
      side = 2 ** len(self.widths)
      x = nn.relu(bn()(dense(h // side * w // side * self.widths[0])(x)))
      x = x.reshape(x.shape[0], h // side, w // side, self.widths[0])
      for i, width in enumerate(self.widths[1:]):
        x = up_conv(width)(x)
        x = nn.relu(bn()(x) if i == 0 else x)
      x = up_conv(c)(x)
    else:
      fc, channels, up = self.widths
      h, w, c = self.image_shape
      x = nn.relu(bn()(dense(fc)(x)))
      x = nn.relu(bn()(dense(h // 4 * w // 4 * channels)(x)))
      x = x.reshape(x.shape[0], h // 4, w // 4, channels)
      x = nn.relu(bn()(up_conv(up)(x)))
      x = up_conv(c)(x)
    return OUTPUT_ACTIVATIONS[self.output_activation](x.astype(jnp.float32))


class Discriminator(nn.Module):
  """Shared trunk with two heads; returns (D's logit [B], Q's raw output [B, q_dim]).

  With `q_guided_dim` > 0 (ss-InfoGAN), the guided code's logits come from a third head,
  one dense layer on the trunk's features as in the original code (spurra/ss-infogan,
  info_head_semsup), placed first in Q's output (latents.LatentSpec.split_q).
  """
  q_output_dim: int
  arch: str = 'conv'
  widths: Sequence[int] = (64, 128, 1024)
  q_width: int = 128
  leaky_slope: float = 0.1
  weight_init: str = 'lecun_normal'
  dtype: Any = jnp.float32
  axis_name: Optional[str] = None
  # Plain-GAN baseline: Q reads a detached copy of the trunk's features, so its loss
  # trains Q's own layers only and L_I can still be measured.
  detach_q: bool = False
  q_guided_dim: int = 0
  norm: str = 'batch'   # in the trunk (D_NORMS); Q's head keeps its BatchNorm
  # Minibatch discrimination (Salimans et al. 2016, "Improved techniques for training
  # GANs"): D's score also reads, per kernel, how close each image's features are to the
  # batch's (0 kernels: off). Q's heads read the trunk's features alone.
  minibatch_kernels: int = 0
  minibatch_kernel_dim: int = 5
  # CGAN (latents.LatentSpec.conditional): the width of the one-hot label D's score also
  # reads; 0: none.
  condition_dim: int = 0

  @nn.compact
  def __call__(self, x, train: bool = True, condition=None):
    """`condition`: CGAN's one-hot labels [B, condition_dim] (None: D's score without them,
    its unconditional part)."""
    h, layers = _trunk(self, x, train)
    q_dim = self.q_output_dim - self.q_guided_dim   # Q's own head (0: only a guided code)
    dense = layers['dense']
    q = None
    if q_dim and self.arch == 'mlp':
      q = layers['act'](dense(self.q_width)(self._q_input(h)))
    elif q_dim:
      q = layers['act'](layers['bn']()(dense(self.q_width)(self._q_input(h))))
    d_features = h
    if self.minibatch_kernels:
      d_features = jnp.concatenate([h, self._minibatch_features(h, dense)], axis=-1)
    d_logit = dense(1, name='d_head')(d_features)[:, 0]
    if self.condition_dim:
      # CGAN's label enters D through a projection (Miyato & Koyama 2018, "cGANs with
      # projection discriminator"): logit + <W y, features>. Mirza & Osindero join the label
      # to D's input; joining it after the trunk keeps the trunk, which Q shares, a
      # function of the image alone, so Q reads unlabelled images as in InfoGAN.
      if condition is None:
        condition = jnp.zeros((x.shape[0], self.condition_dim), d_features.dtype)
      # Zero-initialised: D starts as the unconditional one (a random projection onto 1024
      # features gives logits of size ~10 at initialisation, saturating D at once).
      projection = dense(d_features.shape[-1], use_bias=False, name='label_projection',
                         kernel_init=nn.initializers.zeros)
      d_logit = d_logit + jnp.sum(projection(condition.astype(d_features.dtype)) * d_features,
                                  axis=-1)
    heads = []
    if self.q_guided_dim:
      heads.append(dense(self.q_guided_dim, name='q_guided_head')(self._q_input(h)))
    if q_dim:
      heads.append(dense(q_dim, name='q_head')(q))
    if not heads:   # no codes: a plain GAN's D
      return d_logit.astype(jnp.float32), jnp.zeros((x.shape[0], 0), jnp.float32)
    q_out = heads[0] if len(heads) == 1 else jnp.concatenate(heads, axis=-1)
    return d_logit.astype(jnp.float32), q_out.astype(jnp.float32)

  def _minibatch_features(self, h, dense):
    """`minibatch_similarity` of M = h T against the batch; the batch is the global one:
    under data parallelism (axis_name, in training) each device compares its images with
    every device's, so any device count gives the same features."""
    m = dense(self.minibatch_kernels * self.minibatch_kernel_dim, name='minibatch')(h)
    m = m.astype(jnp.float32).reshape(h.shape[0], self.minibatch_kernels,
                                      self.minibatch_kernel_dim)
    batch = m if self.axis_name is None else jax.lax.all_gather(m, self.axis_name, axis=0,
                                                               tiled=True)
    return minibatch_similarity(m, batch).astype(h.dtype)

  def _q_input(self, h):
    return jax.lax.stop_gradient(h) if self.detach_q else h


def _trunk(module, x, train: bool):
  """The layers D, Q and the encoder share the design of, built inside `module`'s compact
  call (so their parameters are the module's own): returns (features [B, F], layer makers).
  The output of the last convolution (the last hidden layer for 'mlp') is also sown as
  ('intermediates', 'features'): VAE-GAN's reconstruction is measured there (games/vaegan.py)."""
  act = functools.partial(nn.leaky_relu, negative_slope=module.leaky_slope)
  kernel_init, scale_init = _initializers(module.weight_init)
  dense = functools.partial(nn.Dense, dtype=module.dtype, kernel_init=kernel_init)
  bn = functools.partial(_batch_norm, train, module.axis_name, module.dtype, scale_init)
  layers = {'act': act, 'dense': dense, 'bn': bn}
  if module.arch == 'mlp':
    h = x.reshape(x.shape[0], -1)
    for width in module.widths:
      h = act(dense(width)(h))
    module.sow('intermediates', 'features', h)
    return h, layers
  # nn.Conv(width, (4, 4), strides=(2, 2), padding=((1, 1), (1, 1))) as matrix products
  # (layers.py says why), named as flax would name nn.Conv so that parameters and
  # checkpoints keep their layout.
  conv_names = itertools.count()
  conv = lambda width: Conv2x(width, kernel_size=4, dtype=module.dtype,
                              kernel_init=kernel_init, name=f'Conv_{next(conv_names)}')
  def trunk_norm(axes):   # LayerNorm over each example's features (all of a map's)
    if module.norm == 'batch':
      return bn()
    if module.norm == 'layer':
      return nn.LayerNorm(epsilon=1e-5, reduction_axes=axes, dtype=module.dtype)
    return lambda h: h
  if module.arch == 'deep_conv':   # convolutions only; the heads read the last map
    h = act(conv(module.widths[0])(x))
    for width in module.widths[1:]:
      h = act(trunk_norm((-3, -2, -1))(conv(width)(h)))
    module.sow('intermediates', 'features', h)
    return h.reshape(h.shape[0], -1), layers
  c1, c2, fc = module.widths
  h = act(conv(c1)(x))
  h = act(trunk_norm((-3, -2, -1))(conv(c2)(h)))
  module.sow('intermediates', 'features', h)
  h = h.reshape(h.shape[0], -1)
  return act(trunk_norm(-1)(dense(fc)(h))), layers


class Encoder(nn.Module):
  """VAE-GAN's encoder (games/vaegan.py): D's trunk design with a head of its own, giving the
  mean and log-variance of q(z | x) for the generator's noise: [B, 2 * latent_dim]."""
  latent_dim: int
  arch: str = 'conv'
  widths: Sequence[int] = (64, 128, 1024)
  leaky_slope: float = 0.1
  weight_init: str = 'lecun_normal'
  dtype: Any = jnp.float32
  axis_name: Optional[str] = None
  norm: str = 'batch'

  @nn.compact
  def __call__(self, x, train: bool = True):
    h, layers = _trunk(self, x, train)
    out = layers['dense'](2 * self.latent_dim, name='posterior')(h)
    return out.astype(jnp.float32)


def minibatch_similarity(m, batch):
  """Minibatch discrimination's o(x_i)_k = sum_j exp(-||M_ik - M_jk||_1) for the rows m
  [B, kernels, dim] against every row of `batch` [N, kernels, dim]: [B, kernels]. As in the
  paper's code, j runs over the whole batch, i included (a constant 1)."""
  distance = jnp.sum(jnp.abs(m[:, None] - batch[None]), axis=-1)   # [B, N, kernels]
  return jnp.sum(jnp.exp(-distance), axis=1)


def widths_problem(arch: str, g_widths, d_widths, image_shape):
  """Why config.model.g_widths / d_widths cannot build `arch` for images of
  `image_shape`, or None when they can."""
  if arch == 'conv':
    for field, widths in (('g_widths', g_widths), ('d_widths', d_widths)):
      if len(widths) != CONV_WIDTHS:
        return (f'config.model.{field} needs {CONV_WIDTHS} entries for the conv '
                f'architecture (see configs/default.py), got {tuple(widths)}')
  if arch == 'deep_conv':
    side = 2 ** len(g_widths)
    h, w = image_shape[:2]
    if h % side or w % side:
      return (f'config.model.g_widths={tuple(g_widths)} gives {len(g_widths)} stride-2 '
              f'up-convolutions, which need image sides divisible by {side}; the images '
              f'are {h}x{w}: use fewer widths')
    if 2 ** len(d_widths) > min(h, w):
      return (f'config.model.d_widths={tuple(d_widths)} gives {len(d_widths)} stride-2 '
              f'convolutions, more than {h}x{w} images allow: use fewer widths')
  return None


def build_models(config, spec, image_shape):
  """(Generator, Discriminator) for a validated config (config_validation.validate),
  the latent layout and the dataset's image shape."""
  m = config.model
  generator = Generator(arch=m.arch, widths=tuple(m.g_widths), image_shape=tuple(image_shape),
                        output_activation=m.output_activation, weight_init=m.weight_init,
                        dtype=COMPUTE_DTYPES[m.compute_dtype])
  discriminator = Discriminator(q_output_dim=spec.q_output_dim, arch=m.arch,
                                widths=tuple(m.d_widths), q_width=int(m.q_width),
                                leaky_slope=float(m.leaky_slope),
                                weight_init=m.weight_init,
                                dtype=COMPUTE_DTYPES[m.compute_dtype],
                                detach_q=bool(config.gan_baseline),
                                q_guided_dim=spec.q_guided_dim, norm=m.d_norm,
                                minibatch_kernels=int(m.minibatch_kernels),
                                minibatch_kernel_dim=int(m.minibatch_kernel_dim),
                                condition_dim=spec.condition_dim)
  return generator, discriminator


def build_encoder(config, spec):
  """VAE-GAN's encoder for a validated config with config.vae.encoder (games/vaegan.py), or
  None: D's trunk design, a posterior over the generator's noise."""
  if not config.vae.encoder:
    return None
  m = config.model
  return Encoder(latent_dim=spec.noise_dim, arch=m.arch, widths=tuple(m.d_widths),
                 leaky_slope=float(m.leaky_slope), weight_init=m.weight_init,
                 dtype=COMPUTE_DTYPES[m.compute_dtype], norm=m.d_norm)
