"""Disentanglement on data with known factors: the Mutual Information Gap (Chen, Li, Grosse,
Duvenaud 2018, "Isolating sources of disentanglement in VAEs") and, per factor, the code
that says most about it.

Codes (Q's inferred categories and continuous means, one column each) are discretised
into equal-width bins (20, as in the paper's and disentanglement_lib's MIG); factors are
discrete already (their grid indices). For factor k with entropy H(v_k):

    MIG = mean_k (I(z_j(k); v_k) - max_{j != j(k)} I(z_j; v_k)) / H(v_k)

with j(k) the code of highest mutual information with v_k. 1: each factor is read off one
code and no other code knows it; 0: no code stands out for any factor. All in nats.
"""
from __future__ import annotations

from typing import Dict, Sequence

import numpy as np

BINS = 20


def discretise(values: np.ndarray, bins: int = BINS) -> np.ndarray:
  """Each column [N] of `values` [N, J] into `bins` equal-width bins over its range: ints."""
  values = np.asarray(values, np.float64)
  out = np.zeros(values.shape, np.int64)
  for j in range(values.shape[1]):
    edges = np.linspace(values[:, j].min(), values[:, j].max(), bins + 1)[1:-1]
    out[:, j] = np.digitize(values[:, j], edges)
  return out


def entropy(labels: np.ndarray) -> float:
  """H of a discrete variable from its samples [N], nats."""
  p = np.bincount(np.unique(labels, return_inverse=True)[1]) / len(labels)
  return float(-np.sum(p * np.log(p)))


def mutual_information(a: np.ndarray, b: np.ndarray) -> float:
  """I(a; b) of two discrete variables from paired samples [N], nats (plug-in estimate)."""
  _, a = np.unique(a, return_inverse=True)
  _, b = np.unique(b, return_inverse=True)
  joint = np.zeros((a.max() + 1, b.max() + 1))
  np.add.at(joint, (a, b), 1.0)
  joint /= joint.sum()
  pa, pb = joint.sum(1, keepdims=True), joint.sum(0, keepdims=True)
  nz = joint > 0
  return float(np.sum(joint[nz] * np.log(joint[nz] / (pa @ pb)[nz])))


def mig(codes: np.ndarray, factors: np.ndarray, code_names: Sequence[str],
        factor_names: Sequence[str]) -> Dict:
  """MIG of discrete codes [N, J] against discrete factors [N, K], with, per factor, the
  most informative code, its normalised mutual information I / H(v_k), and the gap.
  Factors that never vary (H = 0) are left out of the mean and reported as such."""
  per_factor, gaps = {}, []
  for k, factor in enumerate(factor_names):
    h = entropy(factors[:, k])
    if h == 0:
      per_factor[factor] = {'constant': True}
      continue
    mi = np.array([mutual_information(codes[:, j], factors[:, k])
                   for j in range(codes.shape[1])])
    order = np.argsort(-mi)
    second = mi[order[1]] if len(mi) > 1 else 0.0
    gap = float((mi[order[0]] - second) / h)
    gaps.append(gap)
    per_factor[factor] = {'best_code': code_names[order[0]],
                          'normalised_mi': float(mi[order[0]] / h), 'gap': gap,
                          'mi_per_code': {code_names[j]: float(mi[j]) for j in range(len(mi))}}
  return {'mig': float(np.mean(gaps)) if gaps else float('nan'), 'factors': per_factor}
