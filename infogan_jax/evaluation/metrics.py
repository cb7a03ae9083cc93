"""The evaluators' measurements as pure functions of numpy arrays, no model involved.

Unsupervised classification (Hungarian-matched accuracy), sample quality on a classifier's
outputs (Frechet distance, classifier score, category purity), Q's information about real
images (posterior_information), and what a continuous code controls in digits (slant and
stroke thickness from image moments, and their Spearman correlation with the code along a
traversal). Kept apart so that each can be checked on hand-made arrays.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.stats


def matched_accuracy(predicted: np.ndarray, labels: np.ndarray, num_categories: int,
                     num_classes: int = 10):
  """Accuracy after the best one-to-one category->class assignment (Hungarian).

  Returns (accuracy, {category: class}, confusion[num_categories, num_classes]).
  """
  confusion = np.zeros((num_categories, num_classes), np.int64)
  np.add.at(confusion, (predicted, labels), 1)
  rows, cols = scipy.optimize.linear_sum_assignment(-confusion)
  accuracy = confusion[rows, cols].sum() / max(len(labels), 1)
  return float(accuracy), {int(r): int(c) for r, c in zip(rows, cols)}, confusion


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
  """Frechet distance between Gaussians fitted to two feature sets."""
  mu_a, mu_b = features_a.mean(0), features_b.mean(0)
  cov_a = np.cov(features_a, rowvar=False)
  cov_b = np.cov(features_b, rowvar=False)
  covmean = scipy.linalg.sqrtm(cov_a @ cov_b)
  if np.iscomplexobj(covmean):
    covmean = covmean.real
  return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * covmean))


def classifier_score(probs: np.ndarray) -> float:
  """exp(E_x KL(p(y|x) || p(y))): the Inception score with the MNIST classifier."""
  eps = 1e-12
  marginal = probs.mean(0, keepdims=True)
  kl = np.sum(probs * (np.log(probs + eps) - np.log(marginal + eps)), axis=1)
  return float(np.exp(kl.mean()))


def split_score(probs: np.ndarray, splits: int):
  """(mean, std) of classifier_score over `splits` equal consecutive parts: the Inception
  score as it is reported (Salimans et al. 2016's code, torch-fidelity: 10 splits)."""
  parts = np.array_split(np.asarray(probs), splits)
  scores = [classifier_score(p) for p in parts]
  return float(np.mean(scores)), float(np.std(scores))


def posterior_information(probs: np.ndarray) -> float:
  """I(x; c) under Q's posteriors probs [N, K] of N images, in nats: H(mean q) - mean H(q).
  High when Q is confident on each image and uses every category; computed on unlabelled
  real images it is a label-free criterion for choosing among runs (docs/results.md says
  how well it ranks them)."""
  probs = np.clip(np.asarray(probs, np.float64), 1e-12, 1.0)
  marginal = probs.mean(0)
  return float(-np.sum(marginal * np.log(marginal))
               + np.mean(np.sum(probs * np.log(probs), axis=1)))


def category_purity(probs: np.ndarray, categories: np.ndarray, num_categories: int):
  """Per category: (majority class, fraction of its samples the classifier puts there)."""
  predicted = probs.argmax(1)
  out = []
  for k in range(num_categories):
    counts = np.bincount(predicted[categories == k], minlength=probs.shape[1])
    out.append((int(counts.argmax()), float(counts.max() / max(counts.sum(), 1))))
  return out


def _moments(images01: np.ndarray):
  ink = images01[..., 0] if images01.ndim == 4 else images01
  h, w = ink.shape[1:]
  ys, xs = np.mgrid[:h, :w].astype(np.float64)
  mass = ink.sum((1, 2)) + 1e-8
  cy = (ink * ys).sum((1, 2)) / mass
  cx = (ink * xs).sum((1, 2)) / mass
  dy = ys[None] - cy[:, None, None]
  dx = xs[None] - cx[:, None, None]
  mu11 = (ink * dx * dy).sum((1, 2)) / mass
  mu02 = (ink * dy * dy).sum((1, 2)) / mass
  return mass, mu11, mu02


def slant(images01: np.ndarray) -> np.ndarray:
  """Horizontal shift per unit of height, from second moments: > 0 leans right ('/')."""
  _, mu11, mu02 = _moments(images01)
  return -mu11 / (mu02 + 1e-8)  # rows grow downwards, so '/' has mu11 < 0


def thickness(images01: np.ndarray) -> np.ndarray:
  """Ink mass: total intensity of the digit (grows with stroke width)."""
  return _moments(images01)[0]


def trajectory_spearman(values: np.ndarray, measure: np.ndarray) -> float:
  """Mean Spearman correlation along trajectories: measure[t, v] for value values[v]."""
  rhos = [scipy.stats.spearmanr(values, m).statistic for m in measure]
  rhos = [r for r in rhos if np.isfinite(r)]
  return float(np.mean(rhos)) if rhos else float('nan')
