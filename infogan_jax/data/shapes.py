"""A dSprites-like dataset made by the project itself: binary images of one shape, with the
generative factors known for every image (Matthey et al. 2017's dSprites: 64x64, shape,
scale, orientation, x, y). No download; deterministic from a seed.

Factors (FACTORS, each a grid of values; every combination can be rendered with `render`):
    shape        square, ellipse, heart                    (3)
    scale        half-size 0.5 .. 1 of MAX_HALF_SIZE         (6)
    orientation  0 .. 2 pi, counter-clockwise, 2 pi excluded (40)
    x, y         the shape's centre, 0.3 .. 0.7 of the image side (16 each)

As in dSprites, the square repeats itself every quarter turn and the ellipse every half
turn, so their orientation is not fully identifiable from the image; the heart's is.
Images are 32x32 (our 2-core CPU trains the paper's MNIST-sized networks on that in the
budget the issue allows; dSprites' 64x64 would need the paper's larger networks); a pixel
is on when its centre lies inside the shape.
"""
from __future__ import annotations

import functools
import math
from typing import Dict, Tuple

import numpy as np

from infogan_jax import streams

SIZE = 32
SHAPES = ('square', 'ellipse', 'heart')
FACTORS = {
    'shape': np.arange(len(SHAPES)),
    'scale': np.linspace(0.5, 1.0, 6),
    'orientation': np.arange(40) * (2 * math.pi / 40),
    'x': np.linspace(0.3, 0.7, 16),
    'y': np.linspace(0.3, 0.7, 16),
}
FACTOR_NAMES = tuple(FACTORS)
MAX_HALF_SIZE = 0.22   # of the image side, at scale 1: a rotated square just fits at x, y = 0.3
_SPLITS = {'train': 0, 'test': 1}
# config.dataset='shapes': every run trains and evaluates on the same splits, drawn from
# DATASET_SEED (not the run's seed), of these sizes (MNIST's).
DATASET_SEED = 0
SPLIT_SIZES = {'train': 60_000, 'test': 10_000}


def _inside(shape: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
  """Whether the points (u, v), in the shape's own frame (half-size 1, v up), are inside."""
  if SHAPES[shape] == 'square':
    return (np.abs(u) <= 1) & (np.abs(v) <= 1)
  if SHAPES[shape] == 'ellipse':
    return (u / 1.0) ** 2 + (v / 0.5) ** 2 <= 1   # twice as long as wide
  # Heart: (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0 spans x in [-1.14, 1.14], y in [-1, 1.25];
  # shifted and shrunk to fit the unit square, point up-side (lobes) along +v.
  x, y = u * 1.14, v * 1.13 + 0.12
  return (x * x + y * y - 1) ** 3 - x * x * y ** 3 <= 0


def render(shape: int, scale: float, orientation: float, x: float, y: float,
           size: int = SIZE) -> np.ndarray:
  """One image [size, size] uint8 (0 or 255) of a shape at the given factor values (x to the
  right, y downwards, as fractions of the side; orientation counter-clockwise)."""
  centres = (np.arange(size) + 0.5) / size
  py, px = np.meshgrid(centres, centres, indexing='ij')
  dx, dy = px - x, -(py - y)          # y up in the shape's frame
  cos, sin = math.cos(orientation), math.sin(orientation)
  half = MAX_HALF_SIZE * scale
  u = (cos * dx + sin * dy) / half
  v = (-sin * dx + cos * dy) / half
  return np.where(_inside(shape, u, v), 255, 0).astype(np.uint8)


def factor_values(indices: np.ndarray) -> Dict[str, np.ndarray]:
  """Factor values for index rows [N, 5] (one column per factor, in FACTOR_NAMES order)."""
  return {name: FACTORS[name][indices[:, i]] for i, name in enumerate(FACTOR_NAMES)}


def make_split(seed: int, split: str, num_images: int) -> Tuple[np.ndarray, np.ndarray]:
  """(images [N, SIZE, SIZE, 1] uint8, factor indices [N, 5] int32), the factors drawn
  uniformly and independently from (seed, split); the same arguments give the same arrays."""
  rng = np.random.default_rng([seed, streams.SHAPES, _SPLITS[split]])
  indices = np.stack([rng.integers(0, len(FACTORS[name]), num_images)
                      for name in FACTOR_NAMES], axis=1).astype(np.int32)
  values = factor_values(indices)
  images = np.stack([render(int(values['shape'][i]), values['scale'][i],
                            values['orientation'][i], values['x'][i], values['y'][i])
                     for i in range(num_images)])
  return images[..., None], indices


@functools.lru_cache(maxsize=2)
def dataset(split: str) -> Tuple[np.ndarray, np.ndarray]:
  """config.dataset='shapes': the split's (images uint8 [N, 32, 32, 1], factor indices
  [N, 5]), made once per process (a few seconds for the training split)."""
  images, factors = make_split(DATASET_SEED, split, SPLIT_SIZES[split])
  images.flags.writeable = factors.flags.writeable = False   # shared by every caller
  return images, factors
