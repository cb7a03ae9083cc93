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


def matching(spec, posterior, labels):
  """metrics.matched_accuracy of Q's first categorical code on labelled images
  (accuracy, {category: digit}, confusion), or None when Q does not predict that code."""
  if 0 not in spec.predicted_codes:
    return None
  return metrics_lib.matched_accuracy(posterior['cat_probs'][0].argmax(1), labels,
                                      spec.categorical[0])


def class_code(spec, posterior, labels):
  """(the categorical code that says which digit a sample is, {category: digit}), or None
  for a model with no such code (DCGAN, WGAN-GP, VAE-GAN). The guided code's value is the
  digit (CGAN, ACGAN, ss-InfoGAN: the value is the label); InfoGAN's first code means the
  digit its category is matched to by the Hungarian matching of Q on labelled images."""
  if spec.guided >= 0:
    return spec.guided, {k: k for k in range(spec.categorical[spec.guided])}
  matched = matching(spec, posterior, labels)
  return None if matched is None else (0, matched[1])


def sample_digits(spec, latents, posterior, labels):
  """The digit each generated sample is drawn as, through class_code (-1 for a category
  matched to no digit); None for a model without a class code."""
  found = class_code(spec, posterior, labels)
  if found is None:
    return None
  code, digit_of = found
  table = np.full(spec.categorical[code], -1)
  for category, digit in digit_of.items():
    table[category] = digit
  return table[np.asarray(latents.cat[:, code])]


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
    matched = matching(spec, posterior, self.test_labels)
    if matched is not None:
      acc, mapping, confusion = matched
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
