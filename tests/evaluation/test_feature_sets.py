"""The field's distances between feature sets (infogan_jax/evaluation/feature_sets.py) on
sets whose answer is known: identical, disjoint, half the modes."""
import numpy as np
import pytest

from infogan_jax.evaluation import feature_sets


def _modes(rng, modes, per_mode, dim=10):
  """per_mode points of N(centre, I) around each given mode's centre (10 along an axis of
  its own: the modes are far apart compared with their spread)."""
  centres = 10.0 * np.eye(dim)[list(modes)]
  return np.concatenate([c + rng.normal(size=(per_mode, dim)) for c in centres])


def test_identical_sets_are_perfect_and_disjoint_sets_score_zero():
  rng = np.random.default_rng(0)
  real = _modes(rng, range(10), 100)
  same = feature_sets.precision_recall(real, real)
  assert same == {'precision': 1.0, 'recall': 1.0}
  dc = feature_sets.density_coverage(real, real)
  # Each point lies in its own ball and, on average, in k others: density (k + 1) / k.
  k = feature_sets.DC_K
  assert dc['coverage'] == 1.0 and dc['density'] == pytest.approx((k + 1) / k)
  fresh = feature_sets.density_coverage(real, _modes(rng, range(10), 100))
  assert fresh['density'] == pytest.approx(1.0, abs=0.15) and fresh['coverage'] > 0.9
  far = real + 100.0
  assert feature_sets.precision_recall(real, far) == {'precision': 0.0, 'recall': 0.0}
  assert feature_sets.density_coverage(real, far) == {'density': 0.0, 'coverage': 0.0}


def test_a_generator_of_half_the_modes_has_recall_and_coverage_near_one_half():
  rng = np.random.default_rng(1)
  real = _modes(rng, range(10), 100)
  half = _modes(rng, range(5), 200)       # fresh draws of modes 0-4 only, as many points
  full = _modes(rng, range(10), 100)     # all ten: what a sample of this size reaches
  pr, pr_full = (feature_sets.precision_recall(real, f) for f in (half, full))
  dc, dc_full = (feature_sets.density_coverage(real, f) for f in (half, full))
  assert pr['precision'] == pytest.approx(pr_full['precision'], abs=0.05)
  assert pr['recall'] == pytest.approx(0.5 * pr_full['recall'], abs=0.05)
  assert 0.4 <= pr['recall'] <= 0.5 and pr_full['recall'] > 0.8
  assert dc['coverage'] == pytest.approx(0.5 * dc_full['coverage'], abs=0.05)
  assert dc['density'] == pytest.approx(dc_full['density'], abs=0.1)


def test_knn_radii_are_the_distance_to_the_kth_other_point():
  points = np.array([[0.0], [1.0], [3.0], [7.0]])
  radii = feature_sets.knn_radii(points, [1, 2])
  np.testing.assert_allclose(radii[1], [1, 1, 4, 16])       # squared distances
  np.testing.assert_allclose(radii[2], [9, 4, 9, 36])
  with pytest.raises(ValueError, match='3-th nearest'):
    feature_sets.knn_radii(points[:3], [3])


def _mmd2_unbiased(x, y):
  k = lambda a, b: (a @ b / x.shape[1] + 1) ** 3
  m = len(x)
  xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
  yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
  xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / m ** 2
  return xx + yy - 2 * xy


def test_kid_is_the_unbiased_mmd_and_near_zero_for_sets_of_one_distribution():
  rng = np.random.default_rng(2)
  x, y = rng.normal(size=(12, 3)), rng.normal(size=(12, 3)) + 0.5
  one = feature_sets.kernel_distance(x, y, subset_size=100)
  assert one['subset_size'] == 12 and one['num_subsets'] == 1 and one['std'] == 0.0
  assert one['mean'] == pytest.approx(_mmd2_unbiased(x, y), rel=1e-9)
  a, b = rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8))
  same = feature_sets.kernel_distance(a, b, subset_size=200, num_subsets=50)
  # The biased estimate (diagonals kept) of the same subsets sits well above zero.
  k = lambda u, v: (u @ v.T / 8 + 1) ** 3
  biased = np.mean(k(a[:200], a[:200])) + np.mean(k(b[:200], b[:200])) - 2 * np.mean(
      k(a[:200], b[:200]))
  assert abs(same['mean']) < biased / 10
  assert abs(feature_sets.kernel_distance(a, a, subset_size=200)['mean']) < 0.01
  shifted = feature_sets.kernel_distance(a, a + 1.0, num_subsets=3)
  assert shifted['mean'] > 1.0 and shifted['num_subsets'] == 3
  assert shifted['subset_size'] == feature_sets.KID_SUBSET_SIZE


def test_intra_class_frechet_sees_classes_that_the_overall_distance_cannot():
  rng = np.random.default_rng(3)
  real = _modes(rng, range(3), 400)
  classes = np.repeat(np.arange(3), 400)
  fake = _modes(rng, range(3), 400)
  right = feature_sets.intra_class_frechet(real, classes, fake, classes, num_classes=3)
  swapped = feature_sets.intra_class_frechet(real, classes, fake, (classes + 1) % 3,
                                             num_classes=3)
  assert right['mean'] < 0.5 and swapped['mean'] > 100
  assert right['classes'] == 3 and right['min_real'] == right['min_fake'] == 400
  assert set(right['per_class']) == {'0', '1', '2'}
  fake_classes = classes.copy()
  fake_classes[:399] = 1          # class 0 keeps one generated point: not measured
  few = feature_sets.intra_class_frechet(real, classes, fake, fake_classes, num_classes=3)
  assert few['classes'] == 2 and set(few['per_class']) == {'1', '2'}
  none = feature_sets.intra_class_frechet(real, classes, fake, np.full(1200, 7), 3)
  assert none['classes'] == 0 and np.isnan(none['mean'])
