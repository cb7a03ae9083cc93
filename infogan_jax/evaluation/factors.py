"""Disentanglement on data whose factors of variation are known (config.dataset='shapes').

Q's inferred codes of test images (each categorical code's most probable category, each
continuous code's mean in disentanglement.BINS bins) against the images' true factors: the
Mutual Information Gap and, per factor, the code that says most about it
(disentanglement.py); the shape code's Hungarian-matched accuracy; and L_I on fresh samples
next to H(c). These replace MNIST's classifier-based measurements, which need labels of a
kind the shapes do not have.
"""
from __future__ import annotations

import numpy as np

from infogan_jax.data import shapes
from infogan_jax.evaluation import codes
from infogan_jax.evaluation import disentanglement
from infogan_jax.evaluation import metrics as metrics_lib


def inferred_codes(posterior: dict, spec) -> tuple:
  """(codes [N, J] discrete, their names): each categorical code's most probable
  category, and each continuous code's mean in disentanglement.BINS equal-width bins."""
  columns = [p.argmax(1) for p in posterior['cat_probs'] if p is not None]
  names = [f'cat{i}' for i, p in enumerate(posterior['cat_probs']) if p is not None]
  if spec.continuous:
    binned = disentanglement.discretise(posterior['cont_mean'])
    columns += list(binned.T)
    names += [f'cont{j}' for j in range(spec.continuous)]
  return np.stack(columns, axis=1), names


class FactorEvaluator:
  """MIG of Q's codes on `images` with their `factors` (shapes.FACTOR_NAMES), the shape
  code's matched accuracy, and L_I on `generated` samples."""

  def __init__(self, images, factors, generated):
    """generated: common.PerModel of (latents, images) drawn from the prior."""
    self.images, self.factors, self.generated = images, factors, generated

  def run(self, model) -> dict:
    spec = model.spec
    posterior = model.infer(self.images)
    inferred, names = inferred_codes(posterior, spec)
    out = {'num_images': len(self.images)}
    out.update(disentanglement.mig(inferred, self.factors, names, shapes.FACTOR_NAMES))
    if spec.categorical:
      acc, mapping, _ = metrics_lib.matched_accuracy(
          posterior['cat_probs'][0].argmax(1), self.factors[:, 0], spec.categorical[0],
          len(shapes.SHAPES))
      out['shape_accuracy'] = acc
      out['category_to_shape'] = {k: shapes.SHAPES[v] for k, v in mapping.items()}
    out.update(codes.information(model, *self.generated(model)))
    return out
