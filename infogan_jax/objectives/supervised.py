"""ss-InfoGAN's supervised term (Spurr et al. 2017): on batches with labels, the guided
code's head learns from the labelled real images, as in the original code
(spurra/ss-infogan). A term of D/Q's loss (terms.py)."""
from __future__ import annotations

import dataclasses

import jax.numpy as jnp

from infogan_jax.objectives import losses


@dataclasses.dataclass(frozen=True)
class GuidedCode:
  """weight * mean_b(labelled_b * -log q(label_b | x_b)) over the real images, with the
  guided code's logits (config.semi_supervised.weight; `guided`: that code's index).
  Metrics: ss/labelled (the share of labelled images), ss/ce (the cross-entropy, times
  that share)."""
  weight: float
  guided: int

  def __call__(self, view):
    batch = view.batch
    if 'label' not in batch:   # an unlabelled batch: nothing to learn from
      return 0.0, {}
    logits = view.spec.split_q(view.real_q).cat_logits[self.guided]
    ce = losses.supervised_cross_entropy(logits, batch['label'], batch['labelled'])
    return self.weight * ce, {'ss/labelled': jnp.mean(batch['labelled']), 'ss/ce': ce}
