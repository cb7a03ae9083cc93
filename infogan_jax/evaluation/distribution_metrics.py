"""The field's sample-quality measures on the MNIST classifier's features, one evaluator per
family (feature_sets.py computes them): KID, precision and recall, density and coverage,
and, for a model with a class code, the intra-class Frechet distance.

Each takes the real test images' features (fixed) and a common.PerModel of the generated
samples' features, so that the classifier reads each sample once for all of them; each
reports the numbers of points it compared, since these measures move with sample size.
"""
from __future__ import annotations

from infogan_jax.evaluation import feature_sets


class _FeatureSetEvaluator:
  """{name: measure(real features, generated features) with the two sets' sizes}."""
  name = ''

  def __init__(self, real_features, generated_features):
    """generated_features: common.PerModel of the generated samples' features."""
    self.real, self.generated_features = real_features, generated_features

  def measure(self, real, fake) -> dict:
    raise NotImplementedError

  def run(self, model) -> dict:
    fake = self.generated_features(model)
    return {self.name: {**self.measure(self.real, fake), 'num_real': len(self.real),
                        'num_generated': len(fake)}}


class KernelDistanceEvaluator(_FeatureSetEvaluator):
  """'kid': mean and std of the unbiased KID over random subsets, and the subsets' size."""
  name = 'kid'

  def measure(self, real, fake) -> dict:
    return feature_sets.kernel_distance(real, fake)


class PrecisionRecallEvaluator(_FeatureSetEvaluator):
  """'precision_recall': the share of samples on the real manifold and of real images on
  the samples' manifold (k-NN balls, k = feature_sets.PR_K)."""
  name = 'precision_recall'

  def measure(self, real, fake) -> dict:
    return {**feature_sets.precision_recall(real, fake), 'k': feature_sets.PR_K}


class DensityCoverageEvaluator(_FeatureSetEvaluator):
  """'density_coverage': Naeem et al.'s density and coverage (k = feature_sets.DC_K)."""
  name = 'density_coverage'

  def measure(self, real, fake) -> dict:
    return {**feature_sets.density_coverage(real, fake), 'k': feature_sets.DC_K}


class IntraClassFrechetEvaluator:
  """'intra_class_frechet_distance': each digit's generated samples against the real test
  images of that digit; nothing for a model without a class code."""

  def __init__(self, real_features, real_labels, generated_features, generated_digits):
    """generated_digits: common.PerModel of the digit each sample is drawn as
    (codes.sample_digits), None for a model without a class code."""
    self.real, self.real_labels = real_features, real_labels
    self.generated_features, self.generated_digits = generated_features, generated_digits

  def run(self, model) -> dict:
    digits = self.generated_digits(model)
    if digits is None:
      return {}
    return {'intra_class_frechet_distance': feature_sets.intra_class_frechet(
        self.real, self.real_labels, self.generated_features(model), digits)}
