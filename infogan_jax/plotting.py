"""Figures with matplotlib (Agg backend, no screen needed)."""
from __future__ import annotations

import os

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def image_grid(images: np.ndarray, rows: int, cols: int, path: str, title: str = '',
               value_range=(-1.0, 1.0), row_labels=None, col_labels=None) -> str:
  """Saves images [rows*cols, H, W, 1] (row-major) as one PNG grid."""
  images = np.asarray(images, np.float32)
  lo, hi = value_range
  images = np.clip((images - lo) / (hi - lo), 0.0, 1.0)
  h, w = images.shape[1:3]
  canvas = np.ones((rows * (h + 2) + 2, cols * (w + 2) + 2), np.float32)
  for idx in range(min(len(images), rows * cols)):
    r, c = divmod(idx, cols)
    canvas[2 + r * (h + 2):2 + r * (h + 2) + h, 2 + c * (w + 2):2 + c * (w + 2) + w] = \
        images[idx, :, :, 0]
  scale = 0.3
  fig, ax = plt.subplots(figsize=(max(cols * scale * 1.0, 2) + 0.6, rows * scale + 0.6))
  ax.imshow(canvas, cmap='gray', vmin=0, vmax=1, interpolation='nearest')
  ax.set_xticks([2 + c * (w + 2) + w / 2 for c in range(cols)] if col_labels else [])
  if col_labels:
    ax.set_xticklabels(col_labels, fontsize=6)
  ax.set_yticks([2 + r * (h + 2) + h / 2 for r in range(rows)] if row_labels else [])
  if row_labels:
    ax.set_yticklabels(row_labels, fontsize=6)
  if title:
    ax.set_title(title, fontsize=8)
  return _save(fig, path)


def scatter_by_category(points: np.ndarray, categories: np.ndarray, path: str,
                        real: np.ndarray = None, title: str = '') -> str:
  """2-D samples coloured by their categorical code (toy data)."""
  fig, ax = plt.subplots(figsize=(4, 4))
  if real is not None:
    ax.scatter(real[:, 0], real[:, 1], s=2, c='lightgray', label='data')
  ax.scatter(points[:, 0], points[:, 1], s=3, c=categories, cmap='tab10')
  ax.set_aspect('equal')
  ax.set_title(title, fontsize=8)
  return _save(fig, path)


def _save(fig, path: str) -> str:
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)
  return path
