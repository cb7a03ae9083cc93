"""How close a set of generated features is to a set of real ones, as the GAN literature
reports it: pure functions of two feature arrays [N, D], no model involved.

- Kernel Inception Distance (Binkowski et al. 2018): the unbiased estimate of the squared
  MMD under the kernel k(x, y) = (x.y / D + 1)^3, its mean and std over random subsets
  (of KID_SUBSET_SIZE each, as torch-fidelity and clean-fid draw them). Unlike the Frechet
  distance it has no bias that depends on the sample size, so runs measured with different
  numbers of samples compare.
- Precision and recall (Kynkaanniemi et al. 2019): the share of generated points inside
  the real manifold (the union of balls around each real point, reaching to its k-th
  nearest real neighbour, k = PR_K) and the share of real points inside the generated one.
- Density and coverage (Naeem et al. 2020): how many real balls (k = DC_K, the paper's
  choice) hold each generated point on average, over k (1 when the two sets are alike;
  not bounded by 1), and the share of real balls that hold at least one generated point.
- Intra-class Frechet distance: the Frechet distance of each class's generated points to
  the real points of that class, averaged over the classes.
"""
from __future__ import annotations

from typing import Dict

import numpy as np

from infogan_jax.evaluation import metrics as metrics_lib

KID_SUBSET_SIZE = 1000
KID_SUBSETS = 100
PR_K = 3
DC_K = 5
MIN_POINTS = max(PR_K, DC_K) + 1   # each set needs a k-th nearest neighbour
_CHUNK = 2048   # rows of a distance matrix held at once
# Distances in float32: the classifier's features are float32, and a float32 error in a
# distance (1e-7 relative) moves a point across a ball's edge only at that edge.


def kernel_distance(real: np.ndarray, fake: np.ndarray, subset_size: int = KID_SUBSET_SIZE,
                    num_subsets: int = KID_SUBSETS, seed: int = 0) -> Dict:
  """KID: {'mean', 'std'} of the unbiased squared MMD over `num_subsets` pairs of subsets
  of min(subset_size, len(real), len(fake)) points each, drawn without replacement within
  a subset (one pair when that is both sets whole); with 'subset_size' and 'num_subsets'
  as used."""
  real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
  m = min(subset_size, len(real), len(fake))
  if m < 2:
    raise ValueError(f'KID needs at least 2 points in each set, got {len(real)} and {len(fake)}')
  if m == len(real) == len(fake):
    num_subsets = 1   # every subset is both whole sets: one gives the same number
  def kernel(a, b):
    g = a @ b.T / real.shape[1] + 1
    return g * g * g
  rng = np.random.default_rng(seed)
  values = []
  for _ in range(num_subsets):
    x = real[rng.choice(len(real), m, replace=False)]
    y = fake[rng.choice(len(fake), m, replace=False)]
    k_xx, k_yy, k_xy = kernel(x, x), kernel(y, y), kernel(x, y)
    within = ((k_xx.sum() - np.trace(k_xx)) + (k_yy.sum() - np.trace(k_yy))) / (m * (m - 1))
    values.append(within - 2 * k_xy.mean())
  return {'mean': float(np.mean(values)), 'std': float(np.std(values)), 'subset_size': m,
          'num_subsets': num_subsets}


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
  d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None] - 2 * a @ b.T
  return np.maximum(d, 0)


def _chunks(n: int):
  return (slice(i, min(i + _CHUNK, n)) for i in range(0, n, _CHUNK))


def knn_radii(features: np.ndarray, ks) -> Dict[int, np.ndarray]:
  """{k: squared distance from each point to its k-th nearest other point} for each k."""
  features = np.asarray(features, np.float32)
  if len(features) <= max(ks):
    raise ValueError(f'{len(features)} points have no {max(ks)}-th nearest neighbour')
  radii = {k: np.empty(len(features)) for k in ks}
  for rows in _chunks(len(features)):
    d = _squared_distances(features[rows], features)
    d = np.partition(d, sorted(ks), axis=1)   # column 0: the point itself (distance 0)
    for k in ks:
      radii[k][rows] = d[:, k]
  return radii


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = PR_K,
                     real_radii: np.ndarray = None) -> Dict:
  """{'precision', 'recall'} of the fake points against the real ones with k-NN balls;
  real_radii: knn_radii(real, [k])[k] when already computed."""
  real, fake = np.asarray(real, np.float32), np.asarray(fake, np.float32)
  if real_radii is None:
    real_radii = knn_radii(real, [k])[k]
  fake_radii = knn_radii(fake, [k])[k]
  precise, recalled = 0, np.zeros(len(real), bool)
  for rows in _chunks(len(fake)):
    d = _squared_distances(fake[rows], real)
    precise += int((d <= real_radii[None]).any(1).sum())
    recalled |= (d <= fake_radii[rows, None]).any(0)
  return {'precision': precise / len(fake), 'recall': float(recalled.mean())}


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = DC_K,
                     real_radii: np.ndarray = None) -> Dict:
  """{'density', 'coverage'} of the fake points against the real points' k-NN balls;
  real_radii: knn_radii(real, [k])[k] when already computed."""
  real, fake = np.asarray(real, np.float32), np.asarray(fake, np.float32)
  radii = knn_radii(real, [k])[k] if real_radii is None else real_radii
  inside, covered = 0, np.zeros(len(real), bool)
  for rows in _chunks(len(fake)):
    within = _squared_distances(fake[rows], real) <= radii[None]
    inside += int(within.sum())
    covered |= within.any(0)
  return {'density': inside / (k * len(fake)), 'coverage': float(covered.mean())}


def intra_class_frechet(real: np.ndarray, real_classes: np.ndarray, fake: np.ndarray,
                        fake_classes: np.ndarray, num_classes: int = 10,
                        min_points: int = 2) -> Dict:
  """{'mean': the Frechet distance averaged over the classes with at least `min_points`
  points on both sides, 'per_class': {class: distance}, 'classes': how many were measured,
  'min_real'/'min_fake': the fewest points a measured class had on each side}; the mean
  is NaN when no class has enough (a generator that draws no digit twice)."""
  per_class, sizes = {}, []
  for c in range(num_classes):
    r, f = real[real_classes == c], fake[fake_classes == c]
    if len(r) >= min_points and len(f) >= min_points:
      per_class[str(c)] = metrics_lib.frechet_distance(f, r)
      sizes.append((len(r), len(f)))
  return {'mean': float(np.mean(list(per_class.values()))) if per_class else float('nan'),
          'per_class': per_class, 'classes': len(per_class),
          'min_real': min((s[0] for s in sizes), default=0),
          'min_fake': min((s[1] for s in sizes), default=0)}
