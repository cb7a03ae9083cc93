"""What Q knows of the codes: the paper's unsupervised classification and L_I.

On real test digits, Q's first categorical code classifies them after the best one-to-one
matching of categories to digits (Hungarian; the paper reports 5% error), drawn as a
confusion matrix; an ss-InfoGAN guided code is read as the label itself, without matching.
On fresh samples, L_I per code group next to its ceiling H(c): how much of each code Q
recovers. On unlabelled real training images, Q's I(x; c) per categorical code: the
label-free criterion that config.eval.restarts chooses runs by (seeds.py).
"""
from __future__ import annotations

import os

import numpy as np

from infogan_jax.evaluation import metrics as metrics_lib
from infogan_jax.evaluation import plotting
from infogan_jax.objectives import losses


def information(model, latents, images) -> dict:
  """{'L_I': per code group, on G's `images` of `latents`; 'H_c': each group's entropy}."""
  spec = model.spec
  _, q = model.raw_outputs(images)
  out = {'L_I': {k: float(v) for k, v in losses.mutual_information(spec, q, latents).items()},
         'H_c': {f'cat{i}': h for i, h in enumerate(spec.cat_entropies())}}
  if spec.continuous:
    out['H_c']['cont'] = spec.cont_entropy()
  return out


class CodesEvaluator:
  """Matched and guided accuracy on labelled test images, L_I on generated samples, and
  Q's I(x; c) on unlabelled real images."""

  def __init__(self, test_labels, test_posterior, unlabelled_images, generated,
               out_dir: str):
    """test_posterior: common.PerModel of model.infer(test images) (labels in that order);
    generated: common.PerModel of (latents, images) drawn from the prior."""
    self.test_labels, self.test_posterior = test_labels, test_posterior
    self.unlabelled_images, self.generated, self.out_dir = (unlabelled_images, generated,
                                                            out_dir)

  def run(self, model) -> dict:
    spec = model.spec
    out, figures = {}, {}
    posterior = self.test_posterior(model)
    if 0 in spec.predicted_codes:
      acc, mapping, confusion = metrics_lib.matched_accuracy(
          posterior['cat_probs'][0].argmax(1), self.test_labels, spec.categorical[0])
      out['categorical_accuracy'] = acc
      out['category_to_digit'] = mapping
      figures['confusion'] = plotting.confusion_matrix(
          confusion, os.path.join(self.out_dir, 'confusion.png'),
          title=f'Q category vs test label (matched accuracy {acc:.3f})')
    if spec.guided >= 0 and not spec.conditional:
      # ss-InfoGAN: the guided code's value is the label, no matching.
      out['guided_accuracy'] = float(np.mean(
          posterior['cat_probs'][spec.guided].argmax(1) == self.test_labels))
    out.update(information(model, *self.generated(model)))
    if spec.continuous:
      out['L_I_cont_ceiling_fixed_std'] = spec.cont_ceiling()
    if spec.categorical:
      unlabelled = model.infer(self.unlabelled_images)['cat_probs']
      out['real_posterior_mi'] = {f'cat{i}': metrics_lib.posterior_information(p)
                                  for i, p in enumerate(unlabelled) if p is not None}
    out['figures'] = figures
    return out
