"""ss-InfoGAN's labelled data (Spurr, Aksan, Hilliges 2017): which images keep their
labels, and which steps train on them.

config.semi_supervised.labels_per_class = n > 0 keeps the labels of n training images per
class, drawn class-balanced by the seed (`labelled_subset`); every training image, these
included, also stays in the usual stream without its label. n = ALL_LABELS (-1) keeps every
training label: with a share of 1 every batch is labelled, which makes the guided code a
fully supervised class code (configs/acgan.py). Step s is a labelled step
with probability `share(s)`: its real batch is then B draws (with replacement) from the
labelled images, with their labels ('label', and 'labelled' = 1); otherwise it is the
usual batch ('labelled' = 0). The step (games/infogan.py) turns these into ss-InfoGAN's
supervised terms for the guided code.

Which steps are labelled and which images they draw are pure functions of (seed, step),
computed on the host with numpy: the host and device routes, a resumed run, and any
number of devices or processes see the same batches.

The original code (spurra/ss-infogan) interleaves the two kinds of batches the same way, a
biased coin per update whose labelled side shrinks on a schedule; it cycles through the
labelled set in order, where we draw with replacement (no state to resume), and it draws
unlabelled batches from the unlabelled images only, where ours may also hold the n * 10
labelled ones (without their labels; 100 of 60,000 for n = 10).

The functions here take `SemiSupervisedSettings` (and the data's input_pipeline.DataSettings),
read from a config once (`from_config`) where training starts.
"""
from __future__ import annotations

import dataclasses
from typing import Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from infogan_jax import streams
from infogan_jax.data import input_pipeline
from infogan_jax.networks import models
from infogan_jax.errors import ConfigError

ALL_LABELS = -1   # config.semi_supervised.labels_per_class: every training image's label


@dataclasses.dataclass(frozen=True)
class SemiSupervisedSettings:
  """The labelled data's settings: config.semi_supervised's fields of the same names, and
  config.batch_size (the global batch, which a labelled step draws)."""
  labels_per_class: int   # n > 0 per class, ALL_LABELS, or 0: no labels (not ss-InfoGAN)
  share_start: float      # the share of labelled steps at step 0,
  share_end: float        # ... falling linearly to this at share_steps
  share_steps: int
  batch_size: int

  @classmethod
  def from_config(cls, config) -> 'SemiSupervisedSettings':
    """The one place these are read from a config."""
    ss = config.semi_supervised
    return cls(labels_per_class=ss.labels_per_class, share_start=ss.share_start,
               share_end=ss.share_end, share_steps=ss.share_steps,
               batch_size=config.batch_size)

  @property
  def enabled(self) -> bool:
    """Whether the run keeps labels (ss-InfoGAN)."""
    return self.labels_per_class != 0


def share(step: int, ss: SemiSupervisedSettings) -> float:
  """The probability that `step` is a labelled step: share_start at step 0, linearly to
  share_end at share_steps, then share_end."""
  if ss.share_steps == 0 or step >= ss.share_steps:
    return float(ss.share_end)
  return float(ss.share_start + (ss.share_end - ss.share_start) * step / ss.share_steps)


def labelled_subset(labels: np.ndarray, per_class: int, num_classes: int,
                    seed: int) -> np.ndarray:
  """Indices (sorted) of `per_class` examples of each class, drawn by `seed`; all of them
  for ALL_LABELS."""
  if per_class == ALL_LABELS:
    return np.arange(len(labels))
  rng = np.random.default_rng([seed, streams.LABELS])
  chosen = []
  for k in range(num_classes):
    members = np.flatnonzero(labels == k)
    if len(members) < per_class:
      raise ConfigError(f'config.semi_supervised.labels_per_class={per_class}, but class {k} '
                        f'has only {len(members)} training examples')
    chosen.append(rng.choice(members, per_class, replace=False))
  return np.sort(np.concatenate(chosen))


def draw(seed: int, step: int, probability: float, num_labelled: int,
         batch_size: int):
  """(is `step` a labelled step, the labelled images its batch takes [batch_size])."""
  rng = np.random.default_rng([seed, streams.LABELS, step])
  labelled = bool(rng.random() < probability)
  return labelled, rng.integers(0, num_labelled, batch_size).astype(np.int32)


class LabelledData:
  """The labelled images of one or several seeds (trained together) and their draws."""

  def __init__(self, data: input_pipeline.DataSettings, ss: SemiSupervisedSettings,
               seeds: Sequence[int], pool=None):
    """`pool`: (examples, labels) to draw from, if the caller has loaded them already
    (default: input_pipeline.labelled_pool of `data`)."""
    self.ss, self.seeds = ss, list(seeds)
    self.output_activation = data.output_activation
    examples, labels = pool if pool is not None else input_pipeline.labelled_pool(data)
    classes = input_pipeline.num_classes(data.dataset)
    chosen = [labelled_subset(labels, self.ss.labels_per_class, classes, s) for s in seeds]
    self.images = np.stack([examples[c] for c in chosen])   # [seeds, L, ...]
    self.labels = np.stack([labels[c] for c in chosen]).astype(np.int32)
    self.num_labelled = self.images.shape[1]

  def _scaled(self, images):
    """Images in the generator's range (MNIST is kept as uint8 until used)."""
    if images.dtype == np.uint8:
      return models.from_uint8(images.astype(np.float32), self.output_activation)
    return images

  def host_batch(self, batch: dict, step: int, rows: Optional[slice] = None) -> dict:
    """`batch` (this process's `rows` of the global batch of `step`, host arrays) as the
    step takes it: replaced by labelled images on a labelled step, with 'label' and
    'labelled'. One seed only (several seeds train on the device route)."""
    size = len(batch['image'])
    rows = rows or slice(0, size)
    labelled, idx = draw(self.seeds[0], step, share(step, self.ss), self.num_labelled,
                         self.ss.batch_size)
    idx = idx[rows]
    image = (self._scaled(self.images[0][idx]).astype(np.float32) if labelled
             else batch['image'])
    return {'image': image, 'label': self.labels[0][idx],
            'labelled': np.full((size,), float(labelled), np.float32)}

  def device_arrays(self, stacked: bool) -> dict:
    """The labelled images and labels, for the device route (a leading seed axis when
    `stacked`)."""
    take = (lambda x: x) if stacked else (lambda x: x[0])
    return {'images': take(self.images), 'labels': take(self.labels)}

  def draws(self, first_step: int, num_steps: int, stacked: bool) -> dict:
    """For steps first_step .. + num_steps - 1: 'labelled' [k] (0/1) and 'index' [k, B]
    (a leading seed axis when `stacked`)."""
    flags, index = [], []
    for seed in self.seeds:
      per_step = [draw(seed, s, share(s, self.ss), self.num_labelled, self.ss.batch_size)
                  for s in range(first_step, first_step + num_steps)]
      flags.append(np.asarray([f for f, _ in per_step], np.float32))
      index.append(np.stack([i for _, i in per_step]))
    take = (lambda x: np.stack(x)) if stacked else (lambda x: x[0])
    return {'labelled': take(flags), 'index': take(index)}


def device_batch(image, arrays: dict, draws: dict, i, start, rows: int,
                 output_activation: str) -> dict:
  """Inside the jitted steps of the device route: the batch of the i-th step of a call,
  from this device's `rows` rows (from `start`) of the usual batch, `arrays` =
  LabelledData.device_arrays and `draws` = LabelledData.draws (one seed's)."""
  idx = jax.lax.dynamic_slice_in_dim(draws['index'][i], start, rows)
  labelled = draws['labelled'][i]
  images = arrays['images'][idx]
  if images.dtype == jnp.uint8:
    images = models.from_uint8(images.astype(jnp.float32), output_activation)
  return {'image': jnp.where(labelled > 0, images, image),
          'label': arrays['labels'][idx],
          'labelled': jnp.full((rows,), labelled, jnp.float32)}

