"""Up-sampling by a stride-2 transposed convolution, written so XLA runs it fast on CPU.

`SubPixelConvTranspose` holds exactly the parameters of
``flax.linen.ConvTranspose(features, (k, k), strides=(2, 2), padding='SAME')`` and
computes exactly the same function (tests/test_layers.py checks outputs and gradients).

Why: XLA's CPU backend computes the weight gradient of a stride-2 transposed
convolution through a dilated convolution about 40x slower than the forward pass.
Each output pixel of a stride-2 transposed convolution belongs to one of four phases
(row parity a, column parity b), and each phase is an ordinary stride-1 correlation
of the input with a sub-kernel. All four phases read the same 3x3 input neighbourhood
(for k=4), so the layer is one stride-1 3x3 convolution to 4*C_out channels with a
kernel assembled from the 4x4 one, followed by a depth-to-space (the "sub-pixel"
formulation). Stride-1 convolutions have fast forward and backward passes on CPU and
GPU. Measured on 2 CPU cores, batch 128, 7x7x128 -> 14x14x64, forward+backward:
ConvTranspose 600 ms, this layer 78 ms.
"""
from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax.numpy as jnp
from jax import lax
import numpy as np

_STRIDE = 2


def _phase_taps(kernel_size: int):
  """For each phase a and input offset d, the kernel tap t that links them (or -1).

  lax.conv_transpose with padding 'SAME' pads the dilated input by p = k // 2 in
  front, so output o = 2m + a reads input m + d through tap t = 2d - a + p.
  """
  p = kernel_size // 2
  offsets = [d for d in range(-kernel_size, kernel_size + 1)
             if any(0 <= 2 * d - a + p < kernel_size for a in range(_STRIDE))]
  taps = np.full((len(offsets), _STRIDE), kernel_size, np.int32)  # k = index of a zero tap
  for i, d in enumerate(offsets):
    for a in range(_STRIDE):
      t = 2 * d - a + p
      if 0 <= t < kernel_size:
        taps[i, a] = t
  return offsets[0], len(offsets), taps


class SubPixelConvTranspose(nn.Module):
  """Drop-in for nn.ConvTranspose(features, (k, k), strides=(2, 2), padding='SAME')."""
  features: int
  kernel_size: int = 4
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32
  kernel_init: Any = nn.initializers.lecun_normal()
  bias_init: Any = nn.initializers.zeros_init()

  @nn.compact
  def __call__(self, x):
    k, c_in = self.kernel_size, x.shape[-1]
    kernel = self.param('kernel', self.kernel_init, (k, k, c_in, self.features),
                        self.param_dtype)
    bias = self.param('bias', self.bias_init, (self.features,), self.param_dtype)
    first, n, taps = _phase_taps(k)

    # [n, n, 2, 2, C_in, C_out] -> [n, n, C_in, 2*2*C_out]; unused taps read a zero slice.
    padded = jnp.pad(kernel, ((0, 1), (0, 1), (0, 0), (0, 0)))
    w = padded[taps[:, None, :, None], taps[None, :, None, :]]
    w = w.transpose(0, 1, 4, 2, 3, 5).reshape(n, n, c_in, _STRIDE * _STRIDE * self.features)

    # All four phases in one stride-1 correlation over the n x n neighbourhood.
    pad = (-first, n - 1 + first)
    y = lax.conv_general_dilated(x.astype(self.dtype), w.astype(self.dtype), (1, 1),
                                 (pad, pad), dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
    batch, h, wd, _ = x.shape
    y = y.reshape(batch, h, wd, _STRIDE, _STRIDE, self.features)
    y = y.transpose(0, 1, 3, 2, 4, 5).reshape(batch, h * _STRIDE, wd * _STRIDE, self.features)
    return y + bias.astype(self.dtype)
