"""Printed digits, rendered by the project from the fonts that ship with matplotlib: the
second image domain of CycleGAN's MNIST <-> printed translation (configs/cyclegan.py).

Each image is one digit 0-9 in one of the DejaVu faces (Sans, Serif, Mono; regular, bold,
oblique/italic), at a random size, rotation, stroke thickening and position, drawn white on
black like MNIST and reduced to 28x28 grey. No download; deterministic from a seed, so every
run sees the same splits and the label of every image is known (CycleGAN never sees it: the
labels are for measuring whether a translation keeps the digit).
"""
from __future__ import annotations

import functools
import os
from typing import Dict, Tuple

import numpy as np

from infogan_jax import streams

SIZE = 28
FACES = ('DejaVuSans', 'DejaVuSans-Bold', 'DejaVuSans-Oblique', 'DejaVuSans-BoldOblique',
         'DejaVuSerif', 'DejaVuSerif-Bold', 'DejaVuSerif-Italic', 'DejaVuSerif-BoldItalic',
         'DejaVuSansMono', 'DejaVuSansMono-Bold', 'DejaVuSansMono-Oblique',
         'DejaVuSansMono-BoldOblique')
# Ranges of the random rendering, at the final 28x28 scale: the digit's height in pixels
# (MNIST's digits fit a 20x20 box), the rotation in degrees, the extra stroke in pixels
# (of the 3x canvas) and the shift of the digit's centre from the image centre in pixels.
HEIGHT = (14.0, 21.0)
ROTATION = (-12.0, 12.0)
STROKE = (0, 3)
SHIFT = 2.0
_SCALE = 3   # rendered at 3x, then reduced by box filtering (anti-aliased, like MNIST)
_SPLITS = {'train': 0, 'test': 1}
# Every run trains and evaluates on the same splits, drawn from DATASET_SEED, of MNIST's sizes.
DATASET_SEED = 0
SPLIT_SIZES = {'train': 60_000, 'test': 10_000}


def font_path(face: str) -> str:
  """The .ttf file of a DejaVu face inside matplotlib's data folder."""
  import matplotlib
  return os.path.join(matplotlib.get_data_path(), 'fonts', 'ttf', face + '.ttf')


@functools.lru_cache(maxsize=None)
def _font(face: str, size: int):
  from PIL import ImageFont
  return ImageFont.truetype(font_path(face), size)


def render(digit: int, face: int, height: float, rotation: float, stroke: int,
           dx: float, dy: float) -> np.ndarray:
  """One image [28, 28] uint8: `digit` in FACES[face], its ink `height` pixels tall,
  rotated `rotation` degrees counter-clockwise, thickened by `stroke`, centred at (14 + dx,
  14 + dy)."""
  from PIL import Image, ImageDraw
  big = SIZE * _SCALE
  font = _font(FACES[face], int(round(height * _SCALE * 1.4)))   # ink ~ 0.72 of the em
  side = big * 3 // 2   # room for the rotated glyph
  canvas = Image.new('L', (side, side), 0)
  ImageDraw.Draw(canvas).text((side // 2, side // 2), str(digit), fill=255, font=font,
                              anchor='mm', stroke_width=stroke, stroke_fill=255)
  canvas = canvas.rotate(rotation, resample=Image.BILINEAR)
  left, top, right, bottom = canvas.getbbox()
  ink = canvas.crop((left, top, right, bottom))
  scale = height * _SCALE / (bottom - top)   # the ink, not the font's em, is `height` tall
  ink = ink.resize((max(1, round((right - left) * scale)), max(1, round((bottom - top) * scale))),
                   Image.BILINEAR)
  out = Image.new('L', (big, big), 0)
  out.paste(ink, (round(big / 2 + dx * _SCALE - ink.width / 2),
                  round(big / 2 + dy * _SCALE - ink.height / 2)))
  return np.asarray(out.resize((SIZE, SIZE), Image.BOX), dtype=np.uint8)


def draw(seed: int, split: str, num_images: int) -> Dict[str, np.ndarray]:
  """Every rendering choice of the split's images, drawn from (seed, split): `render`'s
  arguments by name, one entry per image ('digit' is the label)."""
  rng = np.random.default_rng([seed, streams.PRINTED, _SPLITS[split]])
  return {'digit': rng.integers(0, 10, num_images).astype(np.int32),
          'face': rng.integers(0, len(FACES), num_images),
          'height': rng.uniform(*HEIGHT, num_images),
          'rotation': rng.uniform(*ROTATION, num_images),
          'stroke': rng.integers(STROKE[0], STROKE[1] + 1, num_images),
          'dx': rng.uniform(-SHIFT, SHIFT, num_images),
          'dy': rng.uniform(-SHIFT, SHIFT, num_images)}


def make_split(seed: int, split: str, num_images: int) -> Tuple[np.ndarray, np.ndarray]:
  """(images [N, 28, 28, 1] uint8, labels [N] int32) of `draw`'s choices; the same
  arguments give the same arrays."""
  choices = draw(seed, split, num_images)
  images = np.stack([render(**{k: v[i].item() for k, v in choices.items()})
                     for i in range(num_images)])
  return images[..., None], choices['digit']


@functools.lru_cache(maxsize=2)
def dataset(split: str) -> Tuple[np.ndarray, np.ndarray]:
  """The split's (images uint8 [N, 28, 28, 1], labels [N]), made once per process."""
  images, labels = make_split(DATASET_SEED, split, SPLIT_SIZES[split])
  images.flags.writeable = labels.flags.writeable = False   # shared by every caller
  return images, labels
