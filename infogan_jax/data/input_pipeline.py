"""Input pipelines: MNIST, the project's shapes, SVHN and CelebA, and a 2-D toy ring.

The data functions take the data's settings (`DataSettings`), read from a config once
(`DataSettings.from_config`) where training, evaluation and the explorer start.

MNIST is read (config.data_reader) through tensorflow-datasets, or from its four original
archives with numpy alone (mnist_files.py; no TensorFlow). Its batches come
(config.data_placement) from a host stream (tf.data: shuffled, batched, prefetched), or
from the whole split kept on the device and gathered inside the step (device_data.py).
The shapes and the printed digits are made in memory (shapes.py, printed_digits.py), the ring with numpy on the host. SVHN and
CelebA (the paper's other datasets) come through tensorflow-datasets and tf.data only, at
the paper's 32x32.

Host streams yield dicts of numpy arrays, {'image': float32 [B, ...], 'label': int32 [B]},
with images in the generator's output range. TensorFlow is used for tf.data only and is
kept off every accelerator, which belongs to JAX.
"""
from __future__ import annotations

import dataclasses
import functools
import importlib.util
import itertools
import os
from typing import Iterator

import numpy as np

from infogan_jax.data import mnist_files
from infogan_jax.networks import models
from infogan_jax.data import printed_digits
from infogan_jax.data import shapes
from infogan_jax.errors import DatasetUnavailableError

# Each dataset and the shape of one example. 'shapes': dSprites-like images with known
# factors, made by the project (shapes.py). 'svhn', 'celeba': tensorflow-datasets'
# svhn_cropped and celeb_a, at the paper's 32x32 (Appendix C).
_IMAGE_SHAPES = {'mnist': (28, 28, 1), 'ring8': (2,),
                 'shapes': (shapes.SIZE, shapes.SIZE, 1),
                 'printed': (printed_digits.SIZE, printed_digits.SIZE, 1),
                 'svhn': (32, 32, 3), 'celeba': (32, 32, 3)}
DATASETS = tuple(_IMAGE_SHAPES)
# The datasets read through tensorflow-datasets, by their TFDS names.
TFDS_NAMES = {'mnist': 'mnist', 'svhn': 'svhn_cropped', 'celeba': 'celeb_a'}
# config.data_reader: how MNIST is read. 'auto': tfds where it is installed, else archives.
# SVHN and CelebA are read through tfds alone.
DATA_READERS = ('auto', 'tfds', 'archives')
ARCHIVE_DATASETS = ('mnist',)   # the datasets data_reader='archives' can read
# config.data_placement: where MNIST's batches come from. 'auto': a host tf.data stream
# where TensorFlow is installed, else the device. The ring is always made on the host.
DATA_PLACEMENTS = ('auto', 'host', 'device')
DEVICE_DATASETS = ('mnist', 'shapes', 'printed')   # the datasets that can be kept on the device
MADE_HERE = ('shapes', 'printed')   # made in memory by the project: numpy arrays, no reader


def tensorflow_installed() -> bool:
  """True if tensorflow and tensorflow-datasets can be imported."""
  try:
    return all(importlib.util.find_spec(m) is not None
               for m in ('tensorflow', 'tensorflow_datasets'))
  except (ImportError, ValueError):   # ValueError: blocked in sys.modules
    return False


@dataclasses.dataclass(frozen=True)
class DataSettings:
  """The data's settings, which every data function here takes: the config's fields of the
  same names (config.<name>; output_activation: config.model.output_activation), which the
  messages name."""
  dataset: str
  data_reader: str              # DATA_READERS
  data_placement: str           # DATA_PLACEMENTS
  data_dir: str                 # TFDS's data_dir; empty: its default
  manual_dir: str               # the MNIST archives' folder; empty: TFDS's manual folder
  output_activation: str        # the generator's: the range images are scaled to
  shuffle_buffer: int           # host stream only
  prefetch: int                 # host stream only
  # CycleGAN's second image domain (config.cyclegan.domain_y with config.cyclegan.enabled;
  # `dataset` is the first), '' for the games that read one dataset.
  domain_y: str = ''

  @classmethod
  def from_config(cls, config) -> 'DataSettings':
    """The one place these are read from a config."""
    return cls(dataset=config.dataset, data_reader=config.data_reader,
               data_placement=config.data_placement, data_dir=config.data_dir,
               manual_dir=config.manual_dir,
               output_activation=config.model.output_activation,
               shuffle_buffer=config.shuffle_buffer, prefetch=config.prefetch,
               domain_y=config.cyclegan.domain_y if config.cyclegan.enabled else '')

  def second_domain(self) -> 'DataSettings':
    """The settings that read CycleGAN's second domain (domain_y) as `dataset`."""
    if not self.domain_y:
      raise ValueError('these data settings have one domain (config.cyclegan.enabled=False)')
    return dataclasses.replace(self, dataset=self.domain_y, domain_y='')

  def resolved(self) -> 'DataSettings':
    """A copy with data_reader and data_placement's 'auto' replaced by what this machine
    will use."""
    return dataclasses.replace(self, data_reader=reader(self), data_placement=placement(self))


def reader(data: DataSettings) -> str:
  """'tfds' or 'archives': data_reader with 'auto' resolved."""
  if data.data_reader != 'auto':
    return data.data_reader
  if data.dataset not in ARCHIVE_DATASETS:
    return 'tfds'
  return 'tfds' if tensorflow_installed() else 'archives'


def resolve(config):
  """A copy of `config` with data_reader and data_placement's 'auto' replaced by what this
  machine will use (what the run then records in its config.json): the config's edge of
  DataSettings.resolved."""
  data = DataSettings.from_config(config).resolved()
  config = config.copy_and_resolve_references()
  with config.unlocked():
    config.data_reader, config.data_placement = data.data_reader, data.data_placement
  return config


def placement(data: DataSettings) -> str:
  """'host' or 'device': data_placement with 'auto' resolved."""
  if data.dataset not in DEVICE_DATASETS:
    return 'host'
  if data.data_placement != 'auto':
    return data.data_placement
  if data.dataset in MADE_HERE or data.domain_y:   # numpy arrays: nothing for a host
    return 'device'                                # pipeline to do (CycleGAN: device only)
  return 'host' if tensorflow_installed() and reader(data) == 'tfds' else 'device'


def image_shape(dataset: str):
  if dataset not in _IMAGE_SHAPES:
    raise ValueError(f'config.dataset must be one of {DATASETS}, got {dataset!r}')
  return _IMAGE_SHAPES[dataset]


def tensorflow():
  """Imports TensorFlow with every GPU/TPU hidden from it (they belong to JAX)."""
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  import tensorflow as tf
  tf.config.set_visible_devices([], 'GPU')
  try:
    tf.config.set_visible_devices([], 'TPU')
  except (ValueError, RuntimeError):
    pass
  return tf


_OFFLINE_HELP = (
    'Offline, put the four original archives (train-images-idx3-ubyte.gz, '
    'train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) '
    'in a folder and pass it as --config.manual_dir=/path/to/folder (optionally with '
    '--config.data_dir for where TFDS prepares the data). See README.md, "Offline data".')
MNIST_HOST = 'storage.googleapis.com'   # where TFDS downloads MNIST from


def _can_reach(host: str, port: int = 443, timeout: float = 3.0) -> bool:
  import socket
  try:
    socket.create_connection((host, port), timeout=timeout).close()
    return True
  except OSError:
    return False


def _load_tfds(data: DataSettings, split: str, shuffle_files: bool = False,
               process_split: bool = False, seed: int = 0):
  """tfds.load of data.dataset: the prepared copy in data.data_dir if there is one, else
  (MNIST) prepared now from the archives in data.manual_dir or from the network.
  Fails at once when none of these can work (offline, TFDS itself would retry the
  download for many minutes before giving up)."""
  import tensorflow_datasets as tfds
  tensorflow()
  name = TFDS_NAMES[data.dataset]
  kwargs = {'data_dir': os.path.expanduser(data.data_dir)} if data.data_dir else {}
  if data.manual_dir:
    manual_dir = os.path.expanduser(data.manual_dir)
    if not os.path.isdir(manual_dir):
      raise DatasetUnavailableError(
          f'config.manual_dir={data.manual_dir!r} is not a folder. Point it at the folder '
          'holding the four MNIST archives (train-images-idx3-ubyte.gz, ...).')
    kwargs['download_and_prepare_kwargs'] = {
        'download_config': tfds.download.DownloadConfig(manual_dir=manual_dir)}
  if process_split:
    split = tfds.split_for_jax_process(split, drop_remainder=True)
  load = functools.partial(tfds.load, name, split=split, shuffle_files=shuffle_files,
                           read_config=tfds.ReadConfig(shuffle_seed=seed), **kwargs)
  try:
    return load(download=False)
  except AssertionError:  # TFDS's "could not find data": not prepared yet
    pass
  if data.dataset != 'mnist':
    return _download(data, name, load)
  # where TFDS itself looks without manual_dir
  tfds_manual = mnist_files.folder(data.manual_dir, data.data_dir)
  has_archives = all(os.path.exists(os.path.join(tfds_manual, name))
                     for name in mnist_files.SHA256)
  if not data.manual_dir and not has_archives and not _can_reach(MNIST_HOST):
    where = data.data_dir or 'the TFDS default folder (~/tensorflow_datasets)'
    raise DatasetUnavailableError(
        f'MNIST is not prepared in {where} (config.data_dir) and cannot be downloaded: '
        f'{MNIST_HOST} is unreachable. ' + _OFFLINE_HELP)
  try:
    return load(download=True)
  except Exception as e:  # tfds raises several types for "cannot download"
    raise DatasetUnavailableError(
        f'Could not load MNIST through tensorflow-datasets ({type(e).__name__}: {e}).\n'
        + _OFFLINE_HELP) from e


def _download(data: DataSettings, name: str, load):
  """SVHN or CelebA downloaded and prepared by TFDS (hundreds of MB to GB), with an error
  naming the way to prepare it elsewhere when that fails."""
  where = data.data_dir or 'the TFDS default folder (~/tensorflow_datasets)'
  try:
    return load(download=True)
  except Exception as e:  # tfds raises several types for "cannot download"
    raise DatasetUnavailableError(
        f'config.dataset={data.dataset!r} ({name}) is not prepared in {where} '
        f'(config.data_dir) and TFDS could not download it ({type(e).__name__}: {e}). '
        f'On a machine with internet run `tfds build {name}` (or any tfds.load of it) '
        'and copy the prepared folder into config.data_dir.') from e


def check_available(data: DataSettings) -> None:
  """Makes sure the data can be read, preparing it if needed, before any other work;
  raises DatasetUnavailableError naming the way to provide it."""
  if data.dataset not in TFDS_NAMES:
    return
  if reader(data) == 'archives':
    mnist_files.load(mnist_files.folder(data.manual_dir, data.data_dir), 'test')
  elif not tensorflow_installed():
    instead = (', or use --config.data_reader=archives (the four MNIST archives read with '
               'numpy, in config.manual_dir)' if data.dataset in ARCHIVE_DATASETS else '')
    raise DatasetUnavailableError(
        f"config.dataset={data.dataset!r} read with config.data_reader='tfds' needs "
        f'tensorflow and tensorflow-datasets, which are not installed: install them{instead}')
  else:
    _load_tfds(data, 'test')
  if placement(data) == 'host' and not tensorflow_installed():
    raise DatasetUnavailableError(
        "config.data_placement='host' streams MNIST through tf.data, and TensorFlow is not "
        'installed: install it, or use --config.data_placement=device (no TensorFlow)')


def create_dataset(data: DataSettings, batch_size: int, split: str = 'train', seed: int = 0,
                   repeat: bool = True, shuffle: bool = True,
                   skip_batches: int = 0) -> Iterator[dict]:
  """Batches for this process: `batch_size` is the per-process batch.

  Training: this process's slice of the split, shuffled, repeated, batched with
  drop_remainder, scaled to the generator's output range, prefetched. The order is a
  function of `seed` alone, so `skip_batches=step` resumes the stream where a run
  that reached `step` left it.
  """
  image_shape(data.dataset)
  if data.dataset in ('ring8',) + MADE_HERE:
    import jax
    batches = ring8_batches if data.dataset == 'ring8' else functools.partial(
        array_batches, *load_split_uint8(data, split), data.output_activation)
    return batches(batch_size, seed=seed, start=skip_batches,
                   process_index=jax.process_index(), process_count=jax.process_count())
  tf = tensorflow()
  ds = _load_tfds(data, split, shuffle_files=shuffle, process_split=True, seed=seed)
  activation = data.output_activation
  height, width = image_shape(data.dataset)[:2]

  def prepare(example):   # a batch of examples
    image = tf.cast(example['image'], tf.float32)
    if data.dataset == 'celeba':
      # 218x178 faces: the central 178x178 square, shrunk to 32x32 by area averaging (the
      # paper gives the size, not the crop; this is the common DCGAN-era choice).
      top = (218 - 178) // 2
      image = tf.image.resize(image[:, top:top + 178], (height, width), method='area')
    image = models.from_uint8(image, activation)
    # CelebA has attributes rather than one label: every image gets label 0.
    label = (example['label'] if 'label' in example
             else tf.zeros(tf.shape(image)[:1], tf.int64))
    return {'image': image, 'label': tf.cast(label, tf.int32)}

  if repeat:
    ds = ds.repeat()
  if shuffle:
    ds = ds.shuffle(data.shuffle_buffer, seed=seed)
  ds = ds.batch(batch_size, drop_remainder=True)
  if skip_batches:
    ds = ds.skip(skip_batches)
  ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
  ds = ds.prefetch(data.prefetch)
  return ds.as_numpy_iterator()


def array_batches(images: np.ndarray, labels: np.ndarray, output_activation: str,
                  batch_size: int, seed: int = 0, start: int = 0, process_index: int = 0,
                  process_count: int = 1) -> Iterator[dict]:
  """Infinite training batches from arrays on the host (the 'host' route of a dataset
  made in memory): each epoch a permutation drawn from (seed, epoch), cut into global
  batches of batch_size * process_count (the rest of an epoch is dropped), of which each
  process keeps its rows. Batch i depends on (seed, i) alone: starting at `start` equals
  skipping."""
  total = batch_size * process_count
  per_epoch = len(images) // total
  if per_epoch == 0:
    raise ValueError(f'a global batch of {total} is larger than the {len(images)} examples')
  rows = slice(process_index * batch_size, (process_index + 1) * batch_size)
  order, order_epoch = None, None
  for index in itertools.count(start):
    epoch, position = divmod(index, per_epoch)
    if epoch != order_epoch:
      order, order_epoch = np.random.default_rng([seed, epoch]).permutation(len(images)), epoch
    chosen = order[position * total:(position + 1) * total][rows]
    yield {'image': models.from_uint8(images[chosen].astype(np.float32), output_activation),
           'label': labels[chosen].astype(np.int32)}


def load_split_uint8(data: DataSettings, split: str = 'test'):
  """The whole split as numpy arrays: (images uint8 [N, H, W, 1], labels int32 [N]); MNIST
  through data_reader, shapes made here (the labels: each image's shape)."""
  if data.dataset == 'shapes':
    images, factors = shapes.dataset(split)
    return images, factors[:, 0].astype(np.int32)
  if data.dataset == 'printed':
    return printed_digits.dataset(split)
  if data.dataset != 'mnist':
    raise ValueError(f'load_split_arrays needs config.dataset=mnist, got {data.dataset!r}')
  if reader(data) == 'archives':
    return mnist_files.load(mnist_files.folder(data.manual_dir, data.data_dir), split)
  import tensorflow_datasets as tfds
  ds = _load_tfds(data, split)
  split_arrays = tfds.as_numpy(ds.batch(100_000)).__iter__().__next__()
  return split_arrays['image'].astype(np.uint8), split_arrays['label'].astype(np.int32)


def num_classes(dataset: str) -> int:
  """How many label values the dataset has (MNIST, SVHN: digits; ring8: modes; shapes:
  shapes; CelebA: none, 0)."""
  image_shape(dataset)
  return {'ring8': RING_MODES, 'shapes': len(shapes.SHAPES), 'celeba': 0}.get(dataset, 10)


def class_names(dataset: str):
  """A name for each label value, as pages and reports show it."""
  if dataset == 'shapes':
    return list(shapes.SHAPES)
  noun = 'mode' if dataset == 'ring8' else 'digit'
  return [f'{noun} {k}' for k in range(num_classes(dataset))]


def labelled_pool(data: DataSettings):
  """(examples, labels int32) that labelled examples are drawn from: MNIST's training split
  (uint8, through data_reader), or for ring8 a fixed set of 1000 points per mode
  (float32)."""
  if data.dataset == 'ring8':
    rng = np.random.default_rng(RING_POOL_SEED)
    labels = np.repeat(np.arange(RING_MODES, dtype=np.int32), 1000)
    points = ring8_modes()[labels] + RING_STD * rng.standard_normal((len(labels), 2))
    return points.astype(np.float32), labels
  return load_split_uint8(data, 'train')


def load_split_arrays(data: DataSettings, split: str = 'test'):
  """The whole split as numpy arrays (images float32 in the generator's range, labels)."""
  images, labels = load_split_uint8(data, split)
  return models.from_uint8(images.astype(np.float32), data.output_activation), labels


# --- toy data: 8 Gaussians on a ring --------------------------------------------------
RING_MODES = 8
RING_RADIUS = 1.0
RING_STD = 0.05
RING_POOL_SEED = 8   # the ring's fixed pool of labelled points (labelled_pool)


def ring8_modes() -> np.ndarray:
  angles = 2 * np.pi * np.arange(RING_MODES) / RING_MODES
  return RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)


def ring8_batches(batch_size: int, seed: int = 0, start: int = 0, process_index: int = 0,
                  process_count: int = 1) -> Iterator[dict]:
  """Infinite batches from a mixture of 8 Gaussians on the unit circle.

  Batch i depends only on (seed, i), so starting at `start` equals skipping. With
  several processes, each draws the global batch of batch_size * process_count points
  and keeps its own `batch_size` rows: processes see different points, and the global
  batch is the same whatever the number of processes.
  """
  modes = ring8_modes()
  total = batch_size * process_count
  rows = slice(process_index * batch_size, (process_index + 1) * batch_size)
  for index in itertools.count(start):
    rng = np.random.default_rng([seed, index])
    label = rng.integers(0, RING_MODES, total)
    points = modes[label] + RING_STD * rng.standard_normal((total, 2)).astype(np.float32)
    yield {'image': points[rows].astype(np.float32), 'label': label[rows].astype(np.int32)}
