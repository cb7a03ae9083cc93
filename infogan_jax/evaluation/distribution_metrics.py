"""The field's sample-quality measures on the MNIST classifier's features, one evaluator per
family (feature_sets.py computes them): KID, precision and recall, density and coverage,
and, for a model with a class code, the intra-class Frechet distance.

Each takes the real test images' features (a RealSet, fixed) and a common.PerModel of the
generated samples' features, so that the classifier reads each sample once for all of them;
each reports the numbers of points it compared, since these measures move with sample size.
"""
from __future__ import annotations

from infogan_jax.evaluation import feature_sets


class RealSet:
  """The real images' features, and their k-NN radii computed once for every evaluator
  (precision/recall and density/coverage balls, for every model measured)."""

  def __init__(self, features):
    self.features, self._radii = features, None

  def radii(self, k: int):
    if self._radii is None:
      self._radii = feature_sets.knn_radii(self.features, [feature_sets.PR_K,
                                                           feature_sets.DC_K])
    return self._radii[k]

  def __len__(self):
    return len(self.features)


class _FeatureSetEvaluator:
  """{name: measure(real set, generated features) with the two sets' sizes}."""
  name = ''

  def __init__(self, real: RealSet, generated_features):
    """generated_features: common.PerModel of the generated samples' features."""
    self.real, self.generated_features = real, generated_features

  def measure(self, real: RealSet, fake) -> dict:
    raise NotImplementedError

  def run(self, model) -> dict:
    fake = self.generated_features(model)
    return {self.name: {**self.measure(self.real, fake), 'num_real': len(self.real),
                        'num_generated': len(fake)}}


class KernelDistanceEvaluator(_FeatureSetEvaluator):
  """'kid': mean and std of the unbiased KID over random subsets, and the subsets' size."""
  name = 'kid'

  def measure(self, real, fake) -> dict:
    return feature_sets.kernel_distance(real.features, fake)


class PrecisionRecallEvaluator(_FeatureSetEvaluator):
  """'precision_recall': the share of samples on the real manifold and of real images on
  the samples' manifold (k-NN balls, k = feature_sets.PR_K)."""
  name = 'precision_recall'

  def measure(self, real, fake) -> dict:
    k = feature_sets.PR_K
    return {**feature_sets.precision_recall(real.features, fake, k, real.radii(k)), 'k': k}


class DensityCoverageEvaluator(_FeatureSetEvaluator):
  """'density_coverage': Naeem et al.'s density and coverage (k = feature_sets.DC_K)."""
  name = 'density_coverage'

  def measure(self, real, fake) -> dict:
    k = feature_sets.DC_K
    return {**feature_sets.density_coverage(real.features, fake, k, real.radii(k)), 'k': k}


class IntraClassFrechetEvaluator:
  """'intra_class_frechet_distance': each digit's generated samples against the real test
  images of that digit; nothing for a model without a class code."""

  def __init__(self, real: RealSet, real_labels, generated_features, generated_digits):
    """generated_digits: common.PerModel of the digit each sample is drawn as
    (codes.sample_digits), None for a model without a class code."""
    self.real, self.real_labels = real.features, real_labels
    self.generated_features, self.generated_digits = generated_features, generated_digits

  def run(self, model) -> dict:
    digits = self.generated_digits(model)
    if digits is None:
      return {}
    return {'intra_class_frechet_distance': feature_sets.intra_class_frechet(
        self.real, self.real_labels, self.generated_features(model), digits)}
