"""The seeds' table and restart selection (infogan_jax/evaluation/seeds.py)."""
import pytest

from infogan_jax import errors
from infogan_jax.evaluation import seeds


def test_restarts_keep_the_run_with_the_highest_label_free_criterion_per_group():
  # Criterion and accuracy as measured for seeds 0-7 at 5,000 steps (docs/results.md).
  measured = {0: (2.245, 0.959), 1: (2.222, 0.793), 2: (2.221, 0.912), 3: (2.243, 0.965),
              4: (2.228, 0.951), 5: (2.238, 0.960), 6: (2.241, 0.956), 7: (2.232, 0.951)}
  results = {s: {'step': 5000, 'categorical_accuracy': a, 'real_posterior_mi': {'cat0': c}}
             for s, (c, a) in measured.items()}
  assert seeds.select_restarts(results, 2) == {0: 0, 2: 3, 4: 5, 6: 6}
  assert seeds.select_restarts(results, 4) == {0: 0, 4: 6}
  assert seeds.select_restarts(results, 1) == {s: s for s in measured}
  kept = seeds.render_selection(results, 2).splitlines()
  assert '(0..1 -> 0, 2..3 -> 3, 4..5 -> 5, 6..7 -> 6)' in kept[0]
  assert [line.split(' | ')[0] for line in kept[4:8]] == ['| 0', '| 3', '| 5', '| 6']
  assert kept[-3] == "| **median** | | 0.9595 | 2.242 |"
  with pytest.raises(errors.EvaluationError, match='restarts=3 groups the 8 seeds'):
    seeds.select_restarts(results, 3)
  without_code = {s: {'step': 5000} for s in range(2)}
  with pytest.raises(errors.EvaluationError, match='categorical code'):
    seeds.select_restarts(without_code, 2)


def test_seed_table_has_every_seed_and_median_worst_best():
  results = {s: {'step': 3000, 'categorical_accuracy': a, 'L_I': {'cat0': l},
                 'frechet_distance': f, 'kid': {'mean': f / 100, 'std': 0.01}}
             for s, a, l, f in [(0, 0.71, 2.1, 9.5), (1, 0.871, 2.2, 4.0), (2, 0.877, 2.25, 3.5),
                                (3, 0.951, 2.29, 3.0), (4, 0.762, 2.0, 5.0)]}
  table = seeds.render_seed_table(results).splitlines()
  assert table[0] == ('| seed | step | test accuracy (matched) | L_I cat0 (nats) '
                      '| Frechet distance | KID |')
  assert table[2] == '| 0 | 3000 | 0.71 | 2.1 | 9.5 | 0.095 |'
  # Worst: the lowest accuracy and L_I, but the highest Frechet distance and KID.
  assert table[-3:] == ['| **median** | | 0.871 | 2.2 | 4 | 0.04 |',
                        '| **worst** | | 0.71 | 2 | 9.5 | 0.095 |',
                        '| **best** | | 0.951 | 2.29 | 3 | 0.03 |']
