"""Samples that any model made, read for `python eval.py --images=PATH`: a folder of PNG
files, or an .npz file.

- A folder: every *.png in it (not in subfolders), in the order of their names, all of one
  size and mode; optional labels in labels.txt beside them, one digit per line in that order.
- An .npz: 'images' [N, H, W] or [N, H, W, C] (C = 1 or 3), uint8 in 0..255 or floats in
  [0, 1]; optional 'labels' [N] of digits.

Returns the images in [0, 1] as float32 [N, H, W, C]. Nothing is opened through a link; every
problem is an EvaluationError naming --images and the file.
"""
from __future__ import annotations

import io
import os
from typing import Optional, Tuple

import types

import numpy as np

from infogan_jax.errors import EvaluationError
from infogan_jax.evaluation import feature_sets
from infogan_jax.files import open_no_link

FLAG = '--images'
LABELS_FILE = 'labels.txt'
MAX_FILE_BYTES = 2 << 30   # an .npz larger than this is refused before it is read


def _error(path: str, problem: str) -> EvaluationError:
  return EvaluationError(f'{FLAG}={path}: {problem}')


def _read_bytes(path: str, shown: str, limit: int = MAX_FILE_BYTES) -> bytes:
  try:
    with open_no_link(path) as f:
      data = f.read(limit + 1)
  except OSError as e:
    raise _error(shown, f'cannot read {path}: {e.strerror}') from e
  if len(data) > limit:
    raise _error(shown, f'{path} is larger than {limit} bytes')
  return data


def _to_unit(images: np.ndarray, shown: str) -> np.ndarray:
  if images.ndim == 3:
    images = images[..., None]
  if images.ndim != 4 or images.shape[-1] not in (1, 3):
    raise _error(shown, f'expected images [N, H, W] or [N, H, W, 1 or 3], got shape '
                        f'{images.shape}')
  if len(images) < feature_sets.MIN_POINTS:
    raise _error(shown, f'{len(images)} images: the k-NN measures need at least '
                        f'{feature_sets.MIN_POINTS}')
  if images.dtype == np.uint8:
    return images.astype(np.float32) / 255
  if not np.issubdtype(images.dtype, np.floating):
    raise _error(shown, f'expected uint8 (0..255) or float ([0, 1]) images, got {images.dtype}')
  if not np.all(np.isfinite(images)) or images.min() < 0 or images.max() > 1:
    raise _error(shown, f'float images must lie in [0, 1]; these span '
                        f'[{np.nanmin(images):g}, {np.nanmax(images):g}] (convert them first)')
  return images.astype(np.float32)


def _check_labels(labels, n: int, shown: str) -> np.ndarray:
  labels = np.asarray(labels)
  if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer) or (
      n and (labels.min() < 0 or labels.max() > 9)):
    raise _error(shown, f'labels must be {n} digits 0..9 (one per image), got shape '
                        f'{labels.shape} of {labels.dtype}')
  return labels.astype(np.int64)


def _read_npz(path: str):
  try:
    with np.load(io.BytesIO(_read_bytes(path, path)), allow_pickle=False) as npz:
      if 'images' not in npz.files:
        raise _error(path, f"an .npz of samples needs an 'images' array; it has {npz.files}")
      images = _to_unit(npz['images'], path)
      labels = npz['labels'] if 'labels' in npz.files else None
  except EvaluationError:
    raise
  except Exception as e:   # not an npz, or an object array
    raise _error(path, f'not a readable .npz: {e}') from e
  return images, None if labels is None else _check_labels(labels, len(images), path)


def _read_folder(path: str):
  from PIL import Image, UnidentifiedImageError
  names = sorted(n for n in os.listdir(path) if n.lower().endswith('.png'))
  if not names:
    raise _error(path, 'the folder holds no .png files')
  images = []
  for name in names:
    try:
      image = Image.open(io.BytesIO(_read_bytes(os.path.join(path, name), path, 64 << 20)))
      image.load()
    except (UnidentifiedImageError, OSError, ValueError) as e:
      raise _error(path, f'{name} is not a readable PNG: {e}') from e
    if image.mode not in ('L', 'RGB'):
      image = image.convert('RGB' if 'A' in image.mode or image.mode == 'P' else 'L')
    array = np.asarray(image, np.uint8)
    if images and array.shape != images[0].shape:
      raise _error(path, f'{name} is {array.shape}, {names[0]} is {images[0].shape}: give '
                         'images of one size and mode')
    images.append(array)
  images = _to_unit(np.stack(images), path)
  labels_path = os.path.join(path, LABELS_FILE)
  if not os.path.lexists(labels_path):
    return images, None
  text = _read_bytes(labels_path, path, 1 << 20).decode(errors='replace').split()
  try:
    labels = np.array([int(t) for t in text], np.int64)
  except ValueError:
    raise _error(path, f'{LABELS_FILE} must hold one digit per line') from None
  return images, _check_labels(labels, len(images), path)


def read(path: str) -> Tuple[np.ndarray, Optional[np.ndarray]]:
  """(images [N, H, W, C] in [0, 1], labels [N] or None) from a folder or an .npz."""
  if not path:
    raise _error(path, 'give a folder of .png files or an .npz file')
  if os.path.islink(path.rstrip('/')):
    raise _error(path, 'is a link; give the folder or file itself')
  if os.path.isdir(path):
    return _read_folder(path)
  if not os.path.exists(path):
    raise _error(path, 'no such file or folder')
  if not path.endswith('.npz'):
    raise _error(path, 'expected a folder of .png files or an .npz file')
  return _read_npz(path)


def for_classifier(images01: np.ndarray, size: Tuple[int, int] = (28, 28)):
  """(images as the MNIST classifier reads them: grey [N, 28, 28, 1] in [0, 1], notes on
  what was changed): colour made grey (ITU-R 601 luma, as PIL's 'L'), another size resized
  bilinearly."""
  notes = []
  if images01.shape[-1] == 3:
    images01 = images01 @ np.array([0.299, 0.587, 0.114], np.float32)[:, None]
    notes.append('converted to grey')
  if images01.shape[1:3] != size:
    import jax
    notes.append(f'resized from {images01.shape[2]}x{images01.shape[1]} to '
                 f'{size[1]}x{size[0]} for the classifier')
    images01 = np.asarray(jax.image.resize(images01, (len(images01), *size, 1), 'bilinear'))
  return images01.astype(np.float32), notes


class Samples:
  """Images read from --images where the evaluators expect a model: `spec` and `latents`
  carry their labels as a guided code of ten categories (as a CGAN's), or no class code."""

  def __init__(self, labels: Optional[np.ndarray]):
    has = labels is not None
    self.spec = types.SimpleNamespace(guided=0 if has else -1, categorical=(10,) if has else ())
    self.latents = types.SimpleNamespace(cat=labels[:, None] if has else None)
