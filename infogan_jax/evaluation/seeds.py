"""Several seeds of one config side by side: eval_seeds.md's table, and restart selection.

A single run's numbers say little about a method whose runs vary as much as InfoGAN's:
the table has each seed's headline metrics and each column's median, worst and best
seed. With config.eval.restarts = R, of each R consecutive seeds the run with the highest
label-free criterion (RESTART_CRITERION) is kept, as one would choose among restarts
without labels, and the table of the kept runs says what that choice is worth.
"""
from __future__ import annotations

from typing import Dict

import numpy as np

from infogan_jax.errors import EvaluationError

# Headline metrics of a seed sweep: name in metrics.json -> column title.
SEED_TABLE = {'categorical_accuracy': 'test accuracy (matched)',
              'guided_accuracy': 'guided code test accuracy',
              'conditional_generation_accuracy': 'conditional generation accuracy',
              'mean_category_purity': 'purity, mean', 'min_category_purity': 'purity, worst',
              'L_I/cat0': 'L_I cat0 (nats)',
              'real_posterior_mi/cat0': "Q's I(x; c0) on real train images (nats)",
              'frechet_distance': 'Frechet distance',
              'kid/mean': 'KID', 'precision_recall/precision': 'precision',
              'precision_recall/recall': 'recall', 'density_coverage/density': 'density',
              'density_coverage/coverage': 'coverage',
              'intra_class_frechet_distance/mean': 'intra-class Frechet distance',
              'cas/mean': 'CAS',
              'reconstruction_label_accuracy': 'label kept by reconstructions',
              'frechet_distance_reconstructions': 'Frechet distance, reconstructions',
              'reconstruction_pixel_mse': 'reconstruction pixel MSE',
              'mig': 'MIG', 'shape_accuracy': 'shape from cat0 (matched)'}
# Columns where lower is better: their worst seed is the highest value.
LOWER_IS_BETTER = ('frechet_distance', 'kid/mean', 'intra_class_frechet_distance/mean',
                   'frechet_distance_reconstructions', 'reconstruction_pixel_mse')

# The label-free criterion that config.eval.restarts chooses runs by (metrics.json name).
RESTART_CRITERION = 'real_posterior_mi/cat0'


def _lookup(metrics: dict, name: str):
  value = metrics
  for part in name.split('/'):
    value = value.get(part) if isinstance(value, dict) else None
  return value


def check_restarts(num_seeds: int, restarts: int):
  """Raises EvaluationError unless the seeds split into groups of `restarts`."""
  if restarts < 1 or num_seeds % restarts:
    raise EvaluationError(
        f'config.eval.restarts={restarts} groups the {num_seeds} seeds of the run into '
        f'groups of {restarts}: train a multiple of it (config.num_seeds)')


def select_restarts(results: dict, restarts: int) -> Dict[int, int]:
  """Groups the seeds (sorted) into consecutive groups of `restarts` and keeps, in each,
  the run with the highest RESTART_CRITERION: Q's I(x; c0) on unlabelled training images,
  which is high when Q is confident on real digits and uses every category evenly (a
  category holding two digits or a digit split over two lowers it). No labels are used.
  Returns {first seed of the group: chosen seed}."""
  seeds = sorted(results)
  check_restarts(len(seeds), restarts)
  if any(_lookup(results[s], RESTART_CRITERION) is None for s in seeds):
    raise EvaluationError('config.eval.restarts needs a categorical code (the criterion is '
                          "Q's I(x; c0) on real images)")
  return {group[0]: max(group, key=lambda s: _lookup(results[s], RESTART_CRITERION))
          for group in (seeds[i:i + restarts] for i in range(0, len(seeds), restarts))}


def render_seed_table(results: dict) -> str:
  """A Markdown table: one row per seed, then each column's median, worst and best seed's
  value (worst: the lowest, or the highest for LOWER_IS_BETTER columns)."""
  names = [n for n in SEED_TABLE if any(_lookup(m, n) is not None for m in results.values())]
  lines = ['| seed | step | ' + ' | '.join(SEED_TABLE[n] for n in names) + ' |',
           '|---' * (2 + len(names)) + '|']
  for seed, m in sorted(results.items()):
    lines.append(f'| {seed} | {m["step"]} | '
                 + ' | '.join(f'{_lookup(m, n):.4g}' for n in names) + ' |')
  columns = {n: [_lookup(m, n) for m in results.values()] for n in names}
  worst = {n: (max if n in LOWER_IS_BETTER else min)(v) for n, v in columns.items()}
  best = {n: (min if n in LOWER_IS_BETTER else max)(v) for n, v in columns.items()}
  median = {n: np.median(v) for n, v in columns.items()}
  for label, row in (('median', median), ('worst', worst), ('best', best)):
    lines.append(f'| **{label}** | | ' + ' | '.join(f'{row[n]:.4g}' for n in names) + ' |')
  return '\n'.join(lines) + '\n'


def render_selection(results: dict, restarts: int) -> str:
  """Which seed `select_restarts` keeps in each group, and the table of those runs."""
  chosen = select_restarts(results, restarts)
  seeds = sorted(results)
  groups = ', '.join(f'{seeds[i]}..{seeds[i + restarts - 1]} -> {seed}'
                     for i, seed in zip(range(0, len(seeds), restarts), chosen.values()))
  return (f"Kept by config.eval.restarts={restarts}, the highest Q's I(x; c0) on unlabelled "
          f'training images in each group of seeds ({groups}):\n\n'
          + render_seed_table({s: results[s] for s in chosen.values()}))


def render(results: dict, restarts: int = 1) -> str:
  """eval_seeds.md: the table of every seed, and with restarts > 1 that of the kept runs."""
  report = render_seed_table(results)
  if restarts > 1:
    report += '\n' + render_selection(results, restarts)
  return report
