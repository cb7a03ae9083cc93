"""Sample quality seen by a classifier (infogan_jax/evaluation/sample_quality.py), with a
stand-in classifier that reads each 'image' [1] as its digit."""
import types

import numpy as np
import pytest

from infogan_jax.evaluation import metrics
from infogan_jax.evaluation import sample_quality


def _classify(images):
  digits = np.asarray(images[:, 0], int)
  noise = np.random.default_rng(int(digits.sum())).normal(size=(len(digits), 4))
  features = noise + digits[:, None]
  return np.eye(10)[digits], features


def test_purity_and_conditional_accuracy_read_the_right_codes():
  # Code 0 (unsupervised) has 2 categories, code 1 (guided) 10; G draws code 0's category
  # 0 as 3, 3, 3, 5 and category 1 as 7, 7; code 1 asked for 3, 3, 1, 5, 7, 0.
  cat = np.array([[0, 3], [0, 3], [0, 1], [0, 5], [1, 7], [1, 0]])
  fake = np.array([[3], [3], [3], [5], [7], [7]], np.float32)
  generated = lambda model: (types.SimpleNamespace(cat=cat), fake)
  real = np.array([[d] for d in (3, 5, 7, 1, 0, 9)], np.float32)
  model = types.SimpleNamespace(spec=types.SimpleNamespace(guided=1, categorical=(2, 10)))
  out = sample_quality.SampleQualityEvaluator(_classify, real, real, generated).run(model)
  assert out['category_purity'] == {'0': {'digit': 3, 'purity': 0.75},
                                    '1': {'digit': 7, 'purity': 1.0}}
  assert out['mean_category_purity'] == pytest.approx(0.875)
  assert out['min_category_purity'] == 0.75 and out['distinct_majority_digits'] == 2
  assert out['conditional_generation_accuracy'] == pytest.approx(4 / 6)
  read = np.eye(10)[[3, 3, 3, 5, 7, 7]]
  assert out['classifier_score'] == pytest.approx(metrics.classifier_score(read))
  assert out['classifier_score_real_test'] == pytest.approx(6.0)
  assert out['frechet_distance_floor_train_vs_test'] == pytest.approx(0.0, abs=1e-6)
  assert out['frechet_distance'] > 0
  # Without a guided code nor categories: the distances and scores alone.
  plain = types.SimpleNamespace(spec=types.SimpleNamespace(guided=-1, categorical=()))
  out = sample_quality.SampleQualityEvaluator(_classify, real, real, generated).run(plain)
  assert set(out) == {'frechet_distance', 'frechet_distance_floor_train_vs_test',
                      'classifier_score', 'classifier_score_real_test', 'num_generated',
                      'num_real_test'}
  assert out['num_generated'] == out['num_real_test'] == 6
