"""What each continuous code controls in the digits: the paper's rotation and width.

Each continuous code is swept over SWEEP_VALUES (beyond the prior's [-1, 1], as the paper
does) with the noise, the category and the other codes held; along every such trajectory
the Spearman correlation of the code with the digit's slant and with its stroke thickness
(metrics.slant, metrics.thickness) says whether the code turns or thickens the digit, and
its sign which way. Averaged over config.eval.num_sweep_noise noises per category.
"""
from __future__ import annotations

import jax
import numpy as np

from infogan_jax.evaluation import metrics as metrics_lib
from infogan_jax.networks import models
from infogan_jax.networks.latents import TRAVERSAL_RANGE

SWEEP_VALUES = np.linspace(*TRAVERSAL_RANGE, 9)   # the traversal figures' values too


class ContinuousCodesEvaluator:
  """{'continuous_codes': {'cont<j>': {'slant_spearman', 'thickness_spearman'}}}."""

  def __init__(self, rng, num_noise: int):
    self.rng, self.num_noise = rng, num_noise

  def run(self, model) -> dict:
    spec, num_noise = model.spec, self.num_noise
    k = spec.categorical[0] if spec.categorical else 1
    shape = (num_noise * k, len(SWEEP_VALUES))
    out = {}
    for j in range(spec.continuous):
      noise = np.repeat(np.asarray(spec.sample_noise(jax.random.fold_in(self.rng, j),
                                                     num_noise * k)),
                        len(SWEEP_VALUES), axis=0)
      cat = np.repeat(np.tile(np.arange(k), num_noise), len(SWEEP_VALUES))
      cont = np.zeros((len(noise), spec.continuous), np.float32)
      cont[:, j] = np.tile(SWEEP_VALUES, num_noise * k)
      images = models.to_unit(
          model.generate(noise=noise, cat=cat if spec.categorical else None, cont=cont),
          model.config.model.output_activation)
      out[f'cont{j}'] = {
          'slant_spearman': metrics_lib.trajectory_spearman(
              SWEEP_VALUES, metrics_lib.slant(images).reshape(shape)),
          'thickness_spearman': metrics_lib.trajectory_spearman(
              SWEEP_VALUES, metrics_lib.thickness(images).reshape(shape)),
      }
    return {'continuous_codes': out}
