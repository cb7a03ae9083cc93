"""What the evaluators share (infogan_jax/evaluation/common.py): values computed once per
model, and running several evaluators into one dict of metrics and figures."""
import types

from infogan_jax.evaluation import common


def test_per_model_value_is_computed_once_per_model():
  calls = []
  value = common.PerModel(lambda model: calls.append(model) or len(calls))
  first, second = object(), object()
  assert value(first) == 1 and value(first) == 1 and calls == [first]
  assert value(second) == 2 and calls == [first, second]


def test_run_all_keeps_the_evaluators_order_and_gathers_their_figures():
  def evaluator(result):
    return types.SimpleNamespace(run=lambda model: dict(result))
  evaluators = [evaluator({'figures': {'grid': '/out/grid.png'}}),
                evaluator({'b': 1, 'a': 2, 'figures': {'confusion': '/out/confusion.png'}}),
                evaluator({'c': 3})]
  metrics = common.run_all(evaluators, model=None)
  assert list(metrics) == ['b', 'a', 'c', 'figures', 'seconds']
  # Where the time went, by evaluator class (the three here share one, so one sum).
  assert list(metrics['seconds']) == ['SimpleNamespace']
  assert metrics['seconds']['SimpleNamespace'] >= 0
  assert metrics['figures'] == {'grid': '/out/grid.png', 'confusion': '/out/confusion.png'}
