"""Consistency of Q's categories under small deformations (config.consistency), a label-free
remedy for seeds whose categorical code misses the digit classes.

InfoGAN ties each category to what G draws for it, but nothing asks Q to give a real
digit and a slightly rotated, shifted or scaled copy of it the same category, and on some
seeds a category ends up holding two digits (4/9, 3/5/8) or a digit split over two. This
term is IIC's objective (Ji, Henriques, Vedaldi 2019, "Invariant Information Clustering"):
the mutual information I(y; y') between Q's categorical posteriors for a real image (y)
and for a deformed copy (y'), from their joint over the batch,

    P = mean_b q(y|x_b) q(y'|x'_b)^T  (symmetrised),  I = sum P log(P / (P_y P_y'))

which is high when each image's posterior is confident, agrees with its copy's, and the
categories are used evenly. D/Q's loss subtracts weight * I for every categorical code; G
is not involved. The deformation is an affine map per image (rotation, isotropic scale,
shift; bilinear, background outside the image), jitted and drawn for the global batch
(global_batch.py), so any device count gives the same copies; IIC also uses crops and
colour changes, which do not suit MNIST's centred digits.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Dict, Optional, Sequence

import jax
import jax.numpy as jnp
from jax import lax

from infogan_jax import streams
from infogan_jax.objectives import global_batch

_TINY = 1e-8   # floor of the joint's entries before the logarithm (IIC uses sys.float_info.epsilon)


def deform(images: jax.Array, angles: jax.Array, scales: jax.Array, shifts: jax.Array,
           background: float) -> jax.Array:
  """Each image [H, W, C] rotated by angles[b] (radians, counter-clockwise), scaled by
  scales[b] about its centre and shifted by shifts[b] = (dy, dx) pixels; bilinear, with
  `background` where the source falls outside the image. The identity for (0, 1, 0)."""
  h, w = images.shape[1:3]
  ys, xs = jnp.meshgrid(jnp.arange(h, dtype=jnp.float32), jnp.arange(w, dtype=jnp.float32),
                        indexing='ij')
  cy, cx = (h - 1) / 2.0, (w - 1) / 2.0

  def one(image, angle, scale, shift):
    # Inverse map: the output pixel p reads the source at R(-angle) (p - c - t) / s + c.
    dy, dx = ys - cy - shift[0], xs - cx - shift[1]
    cos, sin = jnp.cos(angle), jnp.sin(angle)
    src_y = (cos * dy + sin * dx) / scale + cy
    src_x = (-sin * dy + cos * dx) / scale + cx
    channel = lambda c: jax.scipy.ndimage.map_coordinates(
        c, [src_y, src_x], order=1, mode='constant', cval=background)
    return jax.vmap(channel, in_axes=-1, out_axes=-1)(image)

  return jax.vmap(one)(images, angles, scales, shifts).astype(images.dtype)


def posterior_agreement(p: jax.Array, p_view: jax.Array,
                        axis_name: Optional[str] = None) -> jax.Array:
  """IIC's I(y; y') in nats for posteriors p, p_view [B, K] of the same images (rows).

  With `axis_name` the joint is the mean over the global batch (all devices). Its
  gradient is then formed per device as (dI/dP at the global joint) . dP_local, so that
  averaging the devices' gradients (the step's pmean) gives exactly the gradient of I of
  the global joint, as on one device.
  """
  def information(joint):
    joint = (joint + joint.T) / 2.0
    joint = jnp.maximum(joint, _TINY)
    p_y = joint.sum(axis=1, keepdims=True)
    p_y_view = joint.sum(axis=0, keepdims=True)
    return jnp.sum(joint * (jnp.log(joint) - jnp.log(p_y) - jnp.log(p_y_view)))

  local = p.astype(jnp.float32).T @ p_view.astype(jnp.float32) / p.shape[0]
  if axis_name is None:
    return information(local)
  joint = lax.stop_gradient(lax.pmean(local, axis_name))
  value, slope = jax.value_and_grad(information)(joint)
  return value + jnp.sum(slope * (local - lax.stop_gradient(local)))


@dataclasses.dataclass(frozen=True)
class Consistency:
  """The term's weight (0: off, InfoGAN as in the paper) and the deformation's strength:
  angles uniform in +-rotation degrees, scales in [1 - scale, 1 + scale], shifts in
  +-shift pixels per axis. `background`: the generator's lowest value (the empty page).
  The configured values live in configs/default.py (config.consistency); `Consistency()`
  is the term switched off."""
  weight: float = 0.0
  rotation: float = 0.0
  scale: float = 0.0
  shift: float = 0.0
  background: float = -1.0

  @classmethod
  def from_config(cls, config, background: float) -> 'Consistency':
    c = config.consistency
    return cls(float(c.weight), float(c.rotation), float(c.scale), float(c.shift),
               float(background))

  def view(self, images: jax.Array, rng: jax.Array,
           axis_name: Optional[str] = None) -> jax.Array:
    """A deformed copy of each image, drawn from the step's key for the global batch."""
    key = streams.stream(rng, streams.DEFORMATION)

    def draw(n):
      k_angle, k_scale, k_shift = jax.random.split(key, 3)
      max_angle = self.rotation * math.pi / 180.0
      return jnp.concatenate([
          jax.random.uniform(k_angle, (n, 1), minval=-max_angle, maxval=max_angle),
          jax.random.uniform(k_scale, (n, 1), minval=1 - self.scale, maxval=1 + self.scale),
          jax.random.uniform(k_shift, (n, 2), minval=-self.shift, maxval=self.shift)], axis=1)

    params = global_batch.rows(draw, images.shape[0], axis_name)
    return deform(images, params[:, 0], params[:, 1], params[:, 2:], self.background)

  def agreement(self, logits: Sequence[jax.Array], view_logits: Sequence[jax.Array],
                axis_name: Optional[str] = None) -> Dict[str, jax.Array]:
    """I(y; y') per categorical code, {'cat0': ..., ...}, from Q's logits for the images
    and for their deformed copies."""
    return {f'cat{i}': posterior_agreement(jax.nn.softmax(a.astype(jnp.float32)),
                                           jax.nn.softmax(b.astype(jnp.float32)), axis_name)
            for i, (a, b) in enumerate(zip(logits, view_logits))}

  def __call__(self, view):
    """The term of D/Q's loss (terms.py): -weight * sum of I(y; y') over the categorical
    codes, for the real images and a deformed copy of each. The copies' BatchNorm
    statistics are not kept: the running averages describe real and generated images, as
    without the term."""
    (_, view_q), _ = view.discriminate(self.view(view.real, view.rng, view.axis_name), None)
    agreement = self.agreement(view.spec.split_q(view.real_q).cat_logits,
                               view.spec.split_q(view_q).cat_logits, view.axis_name)
    return (-(self.weight * sum(agreement.values())),
            {f'consistency/{k}': v for k, v in agreement.items()})
