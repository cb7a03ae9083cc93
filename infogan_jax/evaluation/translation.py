"""CycleGAN's measurements: does a translation keep the digit, does the cycle return the
image, and does the translated set look like the target domain?

For each direction (x2y: G on X's test images, read by Y's classifier; y2x: F on Y's, read
by X's), on the test images of the source domain:

    {d}/label_kept                share of translations the target domain's classifier reads
                                  as the source image's label
    {d}/reconstruction_label_kept share of cycle reconstructions F(G(x)) (G(F(y))) the
                                  source domain's classifier reads as the label
    {d}/cycle_l1                  mean |F(G(x)) - x| per pixel, in the generator's [-1, 1]
    {d}/fd_translated             Frechet distance of the translations to the target
                                  domain's test images, in the target classifier's features
    {d}/fd_untranslated           the same for the source images as they are (the ceiling:
                                  what translation starts from)
    {d}/fd_floor                  the same for the target domain's own training images (the
                                  floor: two samples of one domain)

The classifiers' labels are for measuring only: CycleGAN never sees them.
"""
from __future__ import annotations

import os
from typing import Callable, Dict, NamedTuple

import numpy as np

from infogan_jax.evaluation import metrics as metrics_lib
from infogan_jax.evaluation import plotting

DIRECTIONS = {'x2y': ('x', 'y'), 'y2x': ('y', 'x')}   # direction -> (source, target)
FIGURE_COLUMNS = 12


class Domain(NamedTuple):
  """One image domain's test images (the generator's range) and labels, some training
  images, and its classifier: classify(images) -> (probabilities, features)."""
  test_images: np.ndarray
  test_labels: np.ndarray
  train_images: np.ndarray
  classify: Callable


def _batched(fn, images, batch_size: int = 500):
  return np.concatenate([np.asarray(fn(images[i:i + batch_size]))
                         for i in range(0, len(images), batch_size)])


class TranslationEvaluator:
  """The measurements above on `domains` {'x': Domain, 'y': Domain}, and the figure of the
  first test images of both domains with their translations and reconstructions."""

  def __init__(self, domains: Dict[str, Domain], out_dir: str):
    self.domains, self.out_dir = domains, out_dir

  def run(self, model) -> dict:
    out = {}
    target_features = {name: d.classify(d.test_images)[1] for name, d in self.domains.items()}
    for direction, (source_name, target_name) in DIRECTIONS.items():
      source, target = self.domains[source_name], self.domains[target_name]
      back = 'y2x' if direction == 'x2y' else 'x2y'
      translated = _batched(lambda x: model.translate(x, direction), source.test_images)
      reconstructed = _batched(lambda x: model.translate(x, back), translated)
      probs, features = target.classify(translated)
      rec_probs, _ = source.classify(reconstructed)
      ceiling = target.classify(source.test_images)[1]   # in the target's features
      floor = target.classify(target.train_images)[1]
      out.update({
          f'{direction}/label_kept': float(np.mean(probs.argmax(1) == source.test_labels)),
          f'{direction}/reconstruction_label_kept':
              float(np.mean(rec_probs.argmax(1) == source.test_labels)),
          f'{direction}/cycle_l1': float(np.mean(np.abs(reconstructed - source.test_images))),
          f'{direction}/fd_translated': metrics_lib.frechet_distance(
              features, target_features[target_name]),
          f'{direction}/fd_untranslated': metrics_lib.frechet_distance(
              ceiling, target_features[target_name]),
          f'{direction}/fd_floor': metrics_lib.frechet_distance(
              floor, target_features[target_name]),
      })
    out['num_test_images'] = {name: len(d.test_images) for name, d in self.domains.items()}
    out['figures'] = figure(model, self.domains['x'].test_images,
                            self.domains['y'].test_images, self.out_dir)
    return out


def figure(model, x_images, y_images, out_dir: str) -> Dict[str, str]:
  """{'translations': path}: the first FIGURE_COLUMNS test images of both domains, their
  translations and their reconstructions."""
  return {'translations': plotting.translations(
      model.translate, x_images[:FIGURE_COLUMNS], y_images[:FIGURE_COLUMNS],
      os.path.join(out_dir, 'translations.png'),
      title=f'step {model.step}: test images, translated and back')}
