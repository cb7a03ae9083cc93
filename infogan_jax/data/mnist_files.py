"""MNIST from its four original archives (IDX format, gzip), read with numpy alone.

The route without TensorFlow (config.data_reader='archives'): the same files TFDS
downloads, checked against the sha256 sums TFDS registers for them, read in their
original order. Images come back as uint8 [N, 28, 28, 1], labels as int32 [N].
"""
from __future__ import annotations

import gzip
import hashlib
import os
from typing import Dict, Optional, Tuple

import numpy as np

from infogan_jax.errors import DatasetUnavailableError

FILES = {'train': ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'),
         'test': ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz')}
# TFDS's registered checksums of the four archives (tensorflow_datasets, mnist).
SHA256 = {
    'train-images-idx3-ubyte.gz':
        '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
    'train-labels-idx1-ubyte.gz':
        '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
    't10k-images-idx3-ubyte.gz':
        '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
    't10k-labels-idx1-ubyte.gz':
        'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
}
_IDX_DTYPES = {0x08: np.uint8}


def folder(manual_dir: str, data_dir: str) -> str:
  """Where the archives are: `manual_dir` (config.manual_dir), else TFDS's manual-download
  folder `<data_dir>/downloads/manual` (data_dir: `data_dir` (config.data_dir),
  $TFDS_DATA_DIR, or ~/tensorflow_datasets), as TFDS itself looks for them."""
  if manual_dir:
    return os.path.expanduser(manual_dir)
  data_dir = (data_dir or os.environ.get('TFDS_DATA_DIR')
              or '~/tensorflow_datasets')
  return os.path.join(os.path.expanduser(data_dir), 'downloads', 'manual')


def read_idx(path: str) -> np.ndarray:
  """One IDX file (optionally gzipped): magic 0 0 <dtype> <ndim>, ndim big-endian uint32
  sizes, then the data."""
  opener = gzip.open if path.endswith('.gz') else open
  with opener(path, 'rb') as f:
    data = f.read()
  if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
    raise ValueError(f'{path} is not an IDX file of unsigned bytes')
  ndim = data[3]
  shape = tuple(int(x) for x in np.frombuffer(data, '>u4', ndim, offset=4))
  offset = 4 + 4 * ndim
  if len(data) - offset != int(np.prod(shape)):
    raise ValueError(f'{path}: the header announces {shape}, the file holds '
                     f'{len(data) - offset} values')
  return np.frombuffer(data, _IDX_DTYPES[data[2]], offset=offset).reshape(shape)


def _sha256(path: str) -> str:
  digest = hashlib.sha256()
  with open(path, 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)
  return digest.hexdigest()


def load(directory: str, split: str,
         checksums: Optional[Dict[str, str]] = None) -> Tuple[np.ndarray, np.ndarray]:
  """(images uint8 [N, 28, 28, 1], labels int32 [N]) of `split` ('train' or 'test') from
  the archives in `directory`, each checked against `checksums` (default: SHA256)."""
  checksums = SHA256 if checksums is None else checksums
  paths = [os.path.join(directory, name) for name in FILES[split]]
  for path in paths:
    name = os.path.basename(path)
    if not os.path.exists(path):
      raise DatasetUnavailableError(
          f'{path} not found. config.data_reader=\'archives\' reads the four original MNIST '
          f'archives ({", ".join(SHA256)}) from config.manual_dir, or from '
          '<data_dir>/downloads/manual when config.manual_dir is empty.')
    if name in checksums and _sha256(path) != checksums[name]:
      raise DatasetUnavailableError(
          f'{path} does not have the sha256 checksum TFDS registers for {name}: the file is '
          'damaged or another file. Download it again.')
  try:
    images, labels = (read_idx(p) for p in paths)
  except (OSError, ValueError, EOFError) as e:
    raise DatasetUnavailableError(f'cannot read MNIST from {directory}: {e}') from e
  if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
    raise DatasetUnavailableError(
        f'{directory}: {FILES[split][0]} holds {images.shape}, {FILES[split][1]} holds '
        f'{labels.shape}; expected [N, 28, 28] images and [N] labels')
  return images[..., None], labels.astype(np.int32)
