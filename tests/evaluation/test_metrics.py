"""The pure measurements (infogan_jax/evaluation/metrics.py) on hand-made arrays."""
import numpy as np
import pytest

from infogan_jax.evaluation import metrics


def test_matched_accuracy_on_hand_made_confusions():
  labels = np.repeat(np.arange(10), 10)
  permuted = (labels + 3) % 10          # a perfect clustering under another naming
  acc, mapping, confusion = metrics.matched_accuracy(permuted, labels, 10)
  assert acc == 1.0 and mapping[3] == 0 and mapping[2] == 9
  assert confusion.sum() == 100
  noisy = permuted.copy()
  noisy[:20] = 0                        # 20 samples put in category 0
  acc, _, _ = metrics.matched_accuracy(noisy, labels, 10)
  # Category 0 now holds labels 7, 0 and 1 (10 each) and categories 3, 4 are empty:
  # the best matching keeps 10 in category 0 plus 7 untouched categories = 80.
  assert acc == pytest.approx(0.8)
  collapsed = np.zeros_like(labels)     # everything in one category: one class matched
  assert metrics.matched_accuracy(collapsed, labels, 10)[0] == pytest.approx(0.1)


def test_frechet_distance_is_zero_for_identical_sets_and_grows_with_shift():
  x = np.random.default_rng(0).normal(size=(2000, 8))
  assert abs(metrics.frechet_distance(x, x)) < 1e-6
  d1 = metrics.frechet_distance(x, x + 0.5)
  d2 = metrics.frechet_distance(x, x + 1.0)
  assert d1 == pytest.approx(8 * 0.25, rel=1e-3) and d2 == pytest.approx(8.0, rel=1e-3)


def _psd_sqrt(a):
  w, v = np.linalg.eigh(a)
  return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def test_frechet_distance_of_two_gaussians_matches_the_closed_form():
  rng = np.random.default_rng(1)
  mu_a, mu_b = rng.normal(size=4), rng.normal(size=4)
  f_a, f_b = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
  cov_a, cov_b = f_a @ f_a.T + 0.5 * np.eye(4), f_b @ f_b.T + 0.5 * np.eye(4)
  # The symmetric form: |mu_a - mu_b|^2 + tr(A + B - 2 (A^1/2 B A^1/2)^1/2).
  root_a = _psd_sqrt(cov_a)
  closed = (np.sum((mu_a - mu_b) ** 2)
            + np.trace(cov_a + cov_b - 2 * _psd_sqrt(root_a @ cov_b @ root_a)))
  x = rng.multivariate_normal(mu_a, cov_a, size=200_000)
  y = rng.multivariate_normal(mu_b, cov_b, size=200_000)
  assert metrics.frechet_distance(x, y) == pytest.approx(closed, rel=0.02)


def test_classifier_score_bounds():
  confident = np.eye(10)[np.arange(1000) % 10]
  assert metrics.classifier_score(confident) == pytest.approx(10, rel=1e-6)
  one_class = np.eye(10)[np.zeros(100, int)]
  assert metrics.classifier_score(one_class) == pytest.approx(1, rel=1e-6)


def test_split_score_is_the_classifier_score_of_each_split():
  # First half: confident and balanced over 10 classes (score 10); second half: one class.
  probs = np.concatenate([np.eye(10)[np.arange(100) % 10], np.eye(10)[np.zeros(100, int)]])
  mean, std = metrics.split_score(probs, 2)
  assert mean == pytest.approx(5.5) and std == pytest.approx(4.5)


def test_posterior_information_is_ln_k_for_confident_balanced_and_zero_for_collapsed():
  confident = np.eye(10)[np.arange(1000) % 10]
  assert metrics.posterior_information(confident) == pytest.approx(np.log(10), abs=1e-6)
  collapsed = np.eye(10)[np.zeros(1000, int)]            # certain, but one category
  assert metrics.posterior_information(collapsed) == pytest.approx(0.0, abs=1e-6)
  unsure = np.full((1000, 10), 0.1)                      # balanced, but no opinion
  assert metrics.posterior_information(unsure) == pytest.approx(0.0, abs=1e-6)
  half = 0.5 * confident + 0.05                          # in between
  assert 0.5 < metrics.posterior_information(half) < np.log(10) - 0.5


def _stroke(shear: float, width: int = 1) -> np.ndarray:
  img = np.zeros((28, 28), np.float32)
  for row in range(4, 24):
    col = int(round(14 + shear * (14 - row)))   # rows grow downwards
    img[row, col - width // 2: col - width // 2 + width] = 1
  return img


def test_slant_sign_on_synthetic_strokes_and_thickness():
  images = np.stack([_stroke(0.5), _stroke(0.0), _stroke(-0.5)])[..., None]
  s = metrics.slant(images)
  assert s[0] > 0.3 and abs(s[1]) < 1e-6 and s[2] < -0.3   # '/', '|', '\'
  t = metrics.thickness(np.stack([_stroke(0.2, w) for w in (1, 2, 3)])[..., None])
  assert t[0] < t[1] < t[2]
  assert metrics.trajectory_spearman(np.arange(3), t[None]) == pytest.approx(1.0)


def test_category_purity():
  probs = np.eye(10)[[3, 3, 3, 5, 7, 7]]
  cats = np.array([0, 0, 0, 0, 1, 1])
  assert metrics.category_purity(probs, cats, 2) == [(3, 0.75), (7, 1.0)]
