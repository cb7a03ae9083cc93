"""Stride-2 convolutions, down and up, written as matrix products and slices so that XLA
runs them fast on CPU, and batches them well when several seeds train at once (jax.vmap).

`ConvTranspose2x` holds exactly the parameters of
``flax.linen.ConvTranspose(features, (k, k), strides=(2, 2), padding='SAME')`` and
computes exactly the same function (tests/test_models.py checks outputs and gradients).
`Conv2x` does the same for D's ``flax.linen.Conv(features, (k, k), strides=(2, 2))`` with
k // 2 - 1 zeros before and (k - 1) // 2 after (((1, 1), (1, 1)) for k = 4; 'SAME' on even
sides), also on odd sides.

Why: XLA's CPU backend computes the weight gradient of a stride-2 transposed
convolution through a dilated convolution about 40x slower than the forward pass.
A transposed convolution is a matrix product followed by an overlap-add: every input
pixel i, multiplied by the kernel reshaped to [C_in, k*k*C_out], yields one k x k block
of output contributions, and tap t of that block lands on output 2*i + ceil(k/2) - t. So the
layer is one GEMM ([N*H*W, C_in] x [C_in, k*k*C_out], exactly the transposed
convolution's multiply-adds) plus k*k shifted additions into the four output phases
(row and column parity). Forward and both gradients are plain GEMMs and slices, fast on
CPU and GPU. It is also faster than a "sub-pixel" 3x3 convolution to 4*C_out channels,
which does 9/4 of the multiply-adds (the zero taps included); docs/performance.md has the
measurements.

The strided convolution is the mirror image: gather each output pixel's k x k block of
inputs (`gather_blocks`, the adjoint of the overlap-add) and multiply by the kernel
reshaped to [k*k*C_in, C_out]. Under jax.vmap over seeds (each seed its own kernel) XLA's
own convolution turns into a grouped one whose weight gradient is a convolution with
batch_group_count = seeds; here every part stays a (batched) GEMM or a slice
(docs/performance.md measures both).
"""
from __future__ import annotations

import functools
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

_STRIDE = 2


def _front_pad(k: int) -> int:
  """The front padding lax.conv_transpose uses for 'SAME' at stride 2: tap t of input i
  lands on output 2*i + p - t."""
  return (k + 1) // 2


def _shift(y, s_rows: int, s_cols: int):
  """out[i + s_rows, j + s_cols] = y[i, j] (axes 1 and 2), zero-filled, same shape."""
  h, w = y.shape[1], y.shape[2]
  y = jnp.pad(y, ((0, 0), (max(s_rows, 0), max(-s_rows, 0)),
                  (max(s_cols, 0), max(-s_cols, 0)), (0, 0)))
  return y[:, max(-s_rows, 0):max(-s_rows, 0) + h, max(-s_cols, 0):max(-s_cols, 0) + w]


def overlap_add(blocks):
  """[N, H, W, k, k, C] blocks -> [N, 2H, 2W, C]: out[2i + p - ty, 2j + p - tx] += block.

  Its adjoint is `gather_blocks`, given explicitly: left to autodiff, the k*k slices
  below transpose into k*k zero-padded copies of the whole block tensor, summed, a
  sizeable part of the step (docs/performance.md); the explicit adjoint is a few strided
  slices. A jax.custom_vjp: reverse-mode differentiation only (no jax.jvp).
  """
  return _overlap_add(blocks, blocks.shape[3])


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _overlap_add(blocks, k: int):
  _, h, w, _, _, c = blocks.shape
  p = _front_pad(k)
  phases = {}
  for ty in range(k):
    parity_y, s_y = (p - ty) % _STRIDE, (p - ty) // _STRIDE
    for tx in range(k):
      parity_x, s_x = (p - tx) % _STRIDE, (p - tx) // _STRIDE
      part = _shift(blocks[:, :, :, ty, tx, :], s_y, s_x)
      key = (parity_y, parity_x)
      phases[key] = part if key not in phases else phases[key] + part
  # Interleave the phases: out[2i + a, 2j + b] = phases[a, b][i, j].
  y = jnp.stack([jnp.stack([phases[a, b] for b in range(_STRIDE)], axis=3)
                 for a in range(_STRIDE)], axis=2)
  return y.reshape(-1, h * _STRIDE, w * _STRIDE, c)


def gather_blocks(y, k: int):
  """The adjoint of `overlap_add`: block[i, j, ty, tx] = y[2i + p - ty, 2j + p - tx]."""
  n, h2, w2, c = y.shape
  h, w, p = h2 // _STRIDE, w2 // _STRIDE, _front_pad(k)
  lo, hi = max(0, k - 1 - p), max(0, p - 1)  # rows/columns read outside y are zeros
  y = jnp.pad(y, ((0, 0), (lo, hi), (lo, hi), (0, 0)))
  rows = []
  for ty in range(k):
    cols = []
    for tx in range(k):
      r0, c0 = p - ty + lo, p - tx + lo
      cols.append(lax.slice(y, (0, r0, c0, 0),
                            (n, r0 + _STRIDE * (h - 1) + 1, c0 + _STRIDE * (w - 1) + 1, c),
                            (1, _STRIDE, _STRIDE, 1)))
    rows.append(jnp.stack(cols, axis=3))
  return jnp.stack(rows, axis=3)


_overlap_add.defvjp(lambda blocks, k: (_overlap_add(blocks, k), None),
                    lambda k, _, dy: (gather_blocks(dy, k),))


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _gather_blocks(x, k: int):
  """`gather_blocks` whose gradient is `overlap_add` (its adjoint), for the same reason
  `overlap_add`'s is given: autodiff would transpose each strided slice into a padded copy
  of the whole image."""
  return gather_blocks(x, k)


_gather_blocks.defvjp(lambda x, k: (gather_blocks(x, k), None),
                      lambda k, _, dblocks: (_overlap_add(dblocks, k),))


class _Stride2(nn.Module):
  """The parameters of a k x k, stride-2 convolution (flax's layout: kernel [k, k, C_in, C_out],
  bias [C_out]), shared by the two layers below."""
  features: int
  kernel_size: int = 4
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32
  kernel_init: Any = nn.initializers.lecun_normal()
  bias_init: Any = nn.initializers.zeros_init()

  def _kernel_and_bias(self, c_in: int):
    k = self.kernel_size
    if k < 2:
      raise ValueError(f'{type(self).__name__} needs kernel_size >= 2, got {k}')
    kernel = self.param('kernel', self.kernel_init, (k, k, c_in, self.features),
                        self.param_dtype)
    bias = self.param('bias', self.bias_init, (self.features,), self.param_dtype)
    return kernel.astype(self.dtype), bias.astype(self.dtype)


class ConvTranspose2x(_Stride2):
  """Drop-in for nn.ConvTranspose(features, (k, k), strides=(2, 2), padding='SAME')."""

  @nn.compact
  def __call__(self, x):
    k, c_in, c_out = self.kernel_size, x.shape[-1], self.features
    kernel, bias = self._kernel_and_bias(c_in)
    batch, h, w, _ = x.shape

    # Every input pixel's k x k block of contributions: one matrix product.
    blocks = x.reshape(-1, c_in).astype(self.dtype) @ (
        kernel.transpose(2, 0, 1, 3).reshape(c_in, k * k * c_out))
    y = overlap_add(blocks.reshape(batch, h, w, k, k, c_out))
    return y + bias


class Conv2x(_Stride2):
  """Drop-in for nn.Conv(features, (k, k), strides=(2, 2),
  padding=((k // 2 - 1, (k - 1) // 2),) * 2): [N, H, W, C_in] -> [N, H // 2, W // 2, C_out]."""

  @nn.compact
  def __call__(self, x):
    k, c_in, c_out = self.kernel_size, x.shape[-1], self.features
    kernel, bias = self._kernel_and_bias(c_in)
    batch, h, w, _ = x.shape
    # An odd side gets one more zero row (column) at the end, and its last output is cut:
    # that output would read the added zeros, no other does.
    x = jnp.pad(x.astype(self.dtype), ((0, 0), (0, h % 2), (0, w % 2), (0, 0)))
    # block[i, j, t, u] = x[2i + p - t, 2j + p - u]: the mirror image of the kernel's taps.
    blocks = _gather_blocks(x, k)
    rows, cols = blocks.shape[1], blocks.shape[2]
    y = blocks.reshape(-1, k * k * c_in) @ kernel[::-1, ::-1].reshape(k * k * c_in, c_out)
    y = y.reshape(batch, rows, cols, c_out)[:, :h // 2, :w // 2]
    return y + bias
