"""The field's sample-quality evaluators (infogan_jax/evaluation/distribution_metrics.py)
and the digit each generated sample is drawn as (codes.sample_digits), on hand-made
features, codes and posteriors."""
import types

import numpy as np
import pytest

from infogan_jax.evaluation import codes
from infogan_jax.evaluation import common
from infogan_jax.evaluation import distribution_metrics as dm
from infogan_jax.evaluation import feature_sets


def _spec(guided=-1, categorical=(10,), predicted=(0,)):
  return types.SimpleNamespace(guided=guided, categorical=categorical,
                               predicted_codes=predicted)


def test_sample_digits_reads_the_class_code_each_model_kind_has():
  cat = np.array([[2, 7], [0, 1], [1, 1], [2, 0]])
  latents = types.SimpleNamespace(cat=cat)
  # CGAN / ACGAN / ss-InfoGAN: the guided code's value is the digit.
  np.testing.assert_array_equal(
      codes.sample_digits(_spec(guided=1, categorical=(3, 10)), latents, None, None),
      [7, 1, 1, 0])
  # InfoGAN: Q puts test digits 4, 5, 6 in categories 2, 0, 1 (and digit 9 in category
  # 0 once): the samples of category c are matched digit's.
  labels = np.array([4, 4, 5, 5, 6, 6, 9])
  posterior = {'cat_probs': [np.eye(3)[[2, 2, 0, 0, 1, 1, 0]]]}
  digits = codes.sample_digits(_spec(categorical=(3,)), latents, posterior, labels)
  np.testing.assert_array_equal(digits, [4, 5, 6, 4])
  # More categories than digits matched: the rest are -1.
  posterior = {'cat_probs': [np.eye(12)[[2, 2, 0, 0, 1, 1, 0]]]}
  digits = codes.sample_digits(_spec(categorical=(12,)),
                               types.SimpleNamespace(cat=np.array([[11], [0]])), posterior,
                               labels)
  np.testing.assert_array_equal(digits, [-1, 5])
  # DCGAN, WGAN-GP, VAE-GAN: no class code.
  assert codes.sample_digits(_spec(categorical=(), predicted=()), latents, None, None) is None


def test_evaluators_report_their_measure_with_the_sizes_compared(monkeypatch):
  radii_of = []
  knn_radii = feature_sets.knn_radii
  monkeypatch.setattr(feature_sets, 'knn_radii',
                      lambda f, ks: radii_of.append(len(f)) or knn_radii(f, ks))
  rng = np.random.default_rng(0)
  real = rng.normal(size=(300, 4))
  fake_features = rng.normal(size=(200, 4)) + 0.3
  calls = []
  generated_features = common.PerModel(lambda m: calls.append(m) or fake_features)
  model = object()
  out = {}
  real_set = dm.RealSet(real)
  for evaluator in (dm.KernelDistanceEvaluator, dm.PrecisionRecallEvaluator,
                    dm.DensityCoverageEvaluator):
    out.update(evaluator(real_set, generated_features).run(model))
  assert len(calls) == 1     # the classifier's features of one draw, read once for all
  assert radii_of == [300, 200]   # the real balls once for both families, the samples' once
  assert out['kid'] == {**feature_sets.kernel_distance(real, fake_features),
                        'num_real': 300, 'num_generated': 200}
  assert out['kid']['subset_size'] == 200
  assert out['precision_recall'] == {**feature_sets.precision_recall(real, fake_features),
                                     'k': 3, 'num_real': 300, 'num_generated': 200}
  assert out['density_coverage'] == {**feature_sets.density_coverage(real, fake_features),
                                     'k': 5, 'num_real': 300, 'num_generated': 200}


def test_intra_class_frechet_evaluator_only_for_models_with_a_class_code():
  rng = np.random.default_rng(1)
  labels = np.repeat(np.arange(10), 30)
  real = rng.normal(size=(300, 3)) + labels[:, None]
  fake = rng.normal(size=(300, 3)) + labels[:, None]
  features = common.PerModel(lambda m: fake)
  with_code = dm.IntraClassFrechetEvaluator(dm.RealSet(real), labels, features,
                                            common.PerModel(lambda m: labels))
  out = with_code.run(object())['intra_class_frechet_distance']
  assert out == feature_sets.intra_class_frechet(real, labels, fake, labels)
  assert out['classes'] == 10 and out['mean'] == pytest.approx(
      np.mean(list(out['per_class'].values())))
  without = dm.IntraClassFrechetEvaluator(dm.RealSet(real), labels, features,
                                          common.PerModel(lambda m: None))
  assert without.run(object()) == {}
