"""What generated digits are worth as training data, measured with the project's classifier
(classifier.MnistCNN, fitted afresh each time):

- CAS, the classification accuracy score (Ravuri and Vinyals 2019): the classifier trained
  on generated labelled images only, tested on the real test set. A sample's label is its
  class code (codes.sample_digits: the guided code of CGAN, ACGAN and ss-InfoGAN; InfoGAN's
  categories through the Hungarian matching of Q on labelled test images).
- Augmentation, the InfoGAN article's use case: the classifier trained on N real labelled
  images (balanced, N in REAL_SIZES) against the same N plus the generated images, and,
  for comparison, plus as many shifted and rotated copies of the N real ones (plain
  augmentation), over classifier seeds SEEDS: the accuracies and the gains.

Every fit takes the same number of steps, so the three training sets differ in what they
hold, not in how long the classifier trains. The real-only and shift/rotate rows do not
depend on the generator: a BaselineCache keeps them (in the classifier's folder, keyed by
everything they are fitted from), so evaluating a second model refits only its own rows.
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import Dict, Optional, Sequence

import jax
import numpy as np
import scipy.ndimage

from infogan_jax import files
from infogan_jax.evaluation import classifier
from infogan_jax.evaluation import codes
from infogan_jax.networks import models
from infogan_jax.training import workdir as workdir_lib

REAL_SIZES = (100, 1000)
SEEDS = (0, 1, 2)       # classifier seeds of the augmentation study
# CAS fits one classifier per model: a sweep's spread comes from its GAN seeds, and the
# augmentation rows show how much the classifier's own seed moves an accuracy.
CAS_SEEDS = (0,)
STEPS = 1000
PER_CLASS = 1000        # generated images of each digit
MAX_SHIFT = 2           # pixels, plain augmentation
MAX_DEGREES = 10        # rotation, plain augmentation
BASELINES_FILE = 'augmentation_baselines.json'   # in the classifier's folder
# Part of the cache key: raise it when MnistCNN or classifier.fit changes what a fit gives.
FIT_VERSION = 1


def balanced_subset(labels: np.ndarray, n: int, seed: int, num_classes: int = 10):
  """Indices of n // num_classes images of each class, drawn without replacement."""
  rng = np.random.default_rng(seed)
  per_class = n // num_classes
  picks = []
  for c in range(num_classes):
    members = np.flatnonzero(labels == c)
    if len(members) < per_class:
      raise ValueError(f'class {c} has {len(members)} images, fewer than {per_class}')
    picks.append(rng.choice(members, per_class, replace=False))
  return np.concatenate(picks)


def shift_rotate(images01: np.ndarray, count: int, seed: int):
  """(count copies of randomly chosen images [N, H, W, 1], each shifted by up to MAX_SHIFT
  pixels per axis and rotated by up to MAX_DEGREES, bilinear, zero outside; the index of
  each copy's source image)."""
  rng = np.random.default_rng(seed)
  source = rng.integers(0, len(images01), count)
  out = np.empty((count,) + images01.shape[1:], np.float32)
  for i, j in enumerate(source):
    image = scipy.ndimage.rotate(images01[j, ..., 0], rng.uniform(-MAX_DEGREES, MAX_DEGREES),
                                 reshape=False, order=1)
    out[i, ..., 0] = scipy.ndimage.shift(image, rng.integers(-MAX_SHIFT, MAX_SHIFT + 1, 2),
                                         order=0)
  return np.clip(out, 0, 1), source


def class_conditional_latents(spec, rng, per_class: int, code: int,
                              digit_to_category: Dict[int, int]):
  """Prior draws, per_class for each digit that has a category, with categorical code
  `code` set to that digit's category; (latents, the digit of each)."""
  digits = np.repeat(sorted(digit_to_category), per_class)
  latents = spec.sample(rng, len(digits))
  cat = np.asarray(latents.cat).copy()
  cat[:, code] = [digit_to_category[d] for d in digits]
  return latents._replace(cat=cat.astype(np.asarray(latents.cat).dtype)), digits


def accuracies(train_images01, train_labels, test_images01, test_labels,
               seeds: Sequence[int] = SEEDS, steps: int = STEPS) -> list:
  """The test accuracy of a classifier fitted to the training set, one per seed."""
  return [classifier.accuracy(classifier.fit(train_images01, train_labels, steps, seed=s),
                              test_images01, test_labels) for s in seeds]


def classification_accuracy_score(generated01, generated_labels, test_images01, test_labels,
                                  seeds: Sequence[int] = CAS_SEEDS, steps: int = STEPS) -> dict:
  """CAS: {'mean', 'per_seed', 'seeds', 'num_generated'} of classifiers trained on
  generated labelled images alone and tested on real ones."""
  per_seed = accuracies(generated01, generated_labels, test_images01, test_labels, seeds,
                        steps)
  return {'mean': float(np.mean(per_seed)), 'per_seed': per_seed, 'seeds': list(seeds),
          'num_generated': len(generated01)}


class BaselineCache:
  """The real-only and shift/rotate rows of the augmentation study, kept in a JSON file
  under a key of what they are fitted from (the real images and labels, the test set, the
  generated set's size, seeds, steps, the augmentation's ranges, FIT_VERSION, the jax
  version and backend). A missing or unreadable file is an empty cache; of two evaluations
  writing at once, one's entry may be lost (and is refitted the next time)."""

  def __init__(self, path: str):
    self.path = path

  @staticmethod
  def key(*arrays, **settings) -> str:
    digest = hashlib.sha256()
    for a in arrays:
      digest.update(np.ascontiguousarray(a).tobytes())
    digest.update(json.dumps({**settings, 'max_shift': MAX_SHIFT, 'max_degrees': MAX_DEGREES,
                              'fit_version': FIT_VERSION, 'jax': jax.__version__,
                              'backend': jax.default_backend()}, sort_keys=True).encode())
    return digest.hexdigest()

  def _read(self) -> dict:
    try:
      with files.open_no_link(self.path) as f:
        return json.load(f)
    except (OSError, ValueError):
      return {}

  def get(self, key: str) -> Optional[dict]:
    return self._read().get(key)

  def put(self, key: str, rows: dict) -> None:
    """Adds the rows, written to a temporary file and renamed (a reader sees all or none)."""
    entries = {**self._read(), key: rows}
    os.makedirs(os.path.dirname(self.path) or '.', exist_ok=True)
    tmp = f'{self.path}.tmp{os.getpid()}'
    with open(tmp, 'w', opener=workdir_lib.open_no_link) as f:   # no planted link
      json.dump(entries, f)
    os.replace(tmp, self.path)


def augmentation(real01, real_labels, generated01, generated_labels, test_images01,
                 test_labels, sizes: Sequence[int] = REAL_SIZES,
                 seeds: Sequence[int] = SEEDS, steps: int = STEPS,
                 cache: Optional[BaselineCache] = None) -> dict:
  """{N: {'real', '+generated', '+shift_rotate': per-seed accuracies, their means, and
  'gain_generated' / 'gain_shift_rotate': mean accuracy over the real-only one}} for each N
  real images (balanced, drawn with seed 0), plus the generated set's size. With a cache,
  the real-only and shift/rotate rows are taken from it when there ('baselines_cached')."""
  out, cached = {}, []
  for n in sizes:
    pick = balanced_subset(real_labels, n, seed=0)
    images, labels = real01[pick], real_labels[pick]
    key = BaselineCache.key(images, labels, test_images01, test_labels,
                            count=len(generated01), seeds=list(seeds), steps=steps)
    row = (cache.get(key) if cache else None) or {}
    cached.append(bool(row))
    if not row:
      shifted, source = shift_rotate(images, len(generated01), seed=n)
      for name, (x, y) in {'real': (images, labels),
                           '+shift_rotate': (np.concatenate([images, shifted]),
                                             np.concatenate([labels, labels[source]]))}.items():
        row[name] = accuracies(x, y, test_images01, test_labels, seeds, steps)
      if cache:
        cache.put(key, row)
    row['+generated'] = accuracies(np.concatenate([images, generated01]),
                                   np.concatenate([labels, generated_labels]),
                                   test_images01, test_labels, seeds, steps)
    row = {name: row[name] for name in ('real', '+generated', '+shift_rotate')}
    for name in tuple(row):
      row[f'{name}_mean'] = float(np.mean(row[name]))
    row['gain_generated'] = row['+generated_mean'] - row['real_mean']
    row['gain_shift_rotate'] = row['+shift_rotate_mean'] - row['real_mean']
    out[str(n)] = row
  return {'sizes': out, 'num_generated': len(generated01), 'seeds': list(seeds),
          'steps': steps, 'baselines_cached': all(cached)}


class GeneratedDataEvaluator:
  """'cas' and (with augment) 'augmentation' for a model with a class code; nothing without
  one. Minutes on a CPU (len(CAS_SEEDS) fits, then 2 x 3 x 3 for the augmentation study, or
  2 x 3 with its baselines cached), so eval.py runs it only when asked (--generated_data)."""

  def __init__(self, rng, test_images01, test_labels, train_images01, train_labels,
               test_posterior, output_activation: str, per_class: int = PER_CLASS,
               sizes: Sequence[int] = REAL_SIZES, seeds: Sequence[int] = SEEDS,
               steps: int = STEPS, cas_seeds: Sequence[int] = CAS_SEEDS,
               augment: bool = True, cache: Optional[BaselineCache] = None):
    """test_posterior: common.PerModel of model.infer(test images), for InfoGAN's matching;
    the images in [0, 1]; train_*: the labelled real training images N are drawn from;
    cache: where the augmentation study's baselines are kept, or None to refit them."""
    self.rng, self.activation = rng, output_activation
    self.test, self.train = (test_images01, test_labels), (train_images01, train_labels)
    self.test_posterior, self.per_class = test_posterior, per_class
    self.sizes, self.seeds, self.steps = sizes, seeds, steps
    self.cas_seeds, self.augment, self.cache = cas_seeds, augment, cache

  def run(self, model) -> dict:
    spec = model.spec
    found = codes.class_code(spec, self.test_posterior(model), self.test[1])
    if found is None:
      return {}
    code, digit_of = found
    latents, digits = class_conditional_latents(
        spec, self.rng, self.per_class, code, {d: c for c, d in digit_of.items()})
    fake01 = models.to_unit(model.generate(latents=latents), self.activation)
    out = {'cas': classification_accuracy_score(fake01, digits, *self.test, self.cas_seeds,
                                                self.steps)}
    if self.augment:
      out['augmentation'] = augmentation(*self.train, fake01, digits, *self.test, self.sizes,
                                         self.seeds, self.steps, self.cache)
    return out
