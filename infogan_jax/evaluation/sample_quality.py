"""How good and how well sorted the generated digits are, seen by the MNIST classifier.

The Frechet distance between the classifier's features of generated samples and of real
test images (with the real train-vs-test distance as its floor) and the classifier score
(the Inception score's analogue); on the generator side, the purity of each category (how
many of its samples the classifier puts in its majority digit) and, for a guided or
conditioning code, how often the classifier reads digit k in G(z, c=k). The classifier is
the project's own (classifier.py); below classifier.MIN_CLASSIFIER_ACCURACY these would
measure its errors.
"""
from __future__ import annotations

import numpy as np

from infogan_jax.evaluation import metrics as metrics_lib


class SampleQualityEvaluator:
  """Frechet distance, classifier score and category purity of generated samples."""

  def __init__(self, classify, test_images, train_images, generated):
    """classify(images) -> (class probabilities, features); test_images and train_images:
    real images, as many as the samples; generated: common.PerModel of (latents, images)."""
    self.classify, self.generated = classify, generated
    self.test_images, self.train_images = test_images, train_images

  def run(self, model) -> dict:
    spec = model.spec
    latents, fake = self.generated(model)
    fake_probs, fake_feats = self.classify(fake)
    test_probs, test_feats = self.classify(self.test_images)
    _, train_feats = self.classify(self.train_images)
    out = {'frechet_distance': metrics_lib.frechet_distance(fake_feats, test_feats),
           'frechet_distance_floor_train_vs_test': metrics_lib.frechet_distance(train_feats,
                                                                                test_feats),
           'classifier_score': metrics_lib.classifier_score(fake_probs),
           'classifier_score_real_test': metrics_lib.classifier_score(test_probs),
           'num_generated': len(fake), 'num_real_test': len(self.test_images)}
    if spec.guided >= 0:
      out['conditional_generation_accuracy'] = float(np.mean(
          fake_probs.argmax(1) == np.asarray(latents.cat[:, spec.guided])))
    if spec.categorical:
      purity = metrics_lib.category_purity(fake_probs, np.asarray(latents.cat[:, 0]),
                                           spec.categorical[0])
      out['category_purity'] = {str(k): {'digit': d, 'purity': p}
                                for k, (d, p) in enumerate(purity)}
      out['mean_category_purity'] = float(np.mean([p for _, p in purity]))
      out['min_category_purity'] = float(np.min([p for _, p in purity]))
      out['distinct_majority_digits'] = len({d for d, _ in purity})
    return out
