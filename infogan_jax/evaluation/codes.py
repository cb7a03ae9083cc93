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


def sample_digits(spec, latents, posterior, labels):
  """The digit each generated sample is drawn as: its guided code's value (CGAN, ACGAN,
  ss-InfoGAN: the value is the label), else its first categorical code's category under
  the Hungarian matching of Q on labelled images (InfoGAN; -1 for a category matched to
  no digit); None for a model with neither (DCGAN, WGAN-GP, VAE-GAN)."""
  if spec.guided >= 0:
    return np.asarray(latents.cat[:, spec.guided])
  matched = matching(spec, posterior, labels)
  if matched is None:
    return None
  digit_of = np.full(spec.categorical[0], -1)
  for category, digit in matched[1].items():
    digit_of[category] = digit
  return digit_of[np.asarray(latents.cat[:, 0])]


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
