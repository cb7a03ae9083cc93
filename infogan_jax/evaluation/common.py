"""What the evaluators share: their shape, running several of them, and the inputs that
several of them measure on.

An evaluator is a small object constructed with what it needs (data, a classifier, a key,
the folder for its figures) whose `run(model)` measures one family of metrics on an
`api.InfoGAN` and returns them as a dict; an entry 'figures', when there is one, maps the
figures it drew to their files. Two evaluators that must measure the same generated
samples or the same posteriors (L_I and the Frechet distance are reported for one draw)
share a `PerModel` value, computed once per model.
"""
from __future__ import annotations

import time
from typing import Callable, Dict, Protocol, Sequence


class Evaluator(Protocol):

  def run(self, model) -> dict:
    """Metrics of one family for `model`; 'figures': {name: path} for what it drew."""


class PerModel:
  """fn(model), computed once for the model it was last called with."""

  def __init__(self, fn: Callable):
    self._fn = fn
    self._model = self._value = None

  def __call__(self, model):
    if model is not self._model:
      self._value, self._model = self._fn(model), model
    return self._value


def generated(rng, n: int) -> PerModel:
  """(latents, images): n draws of the model's prior under `rng`, and G's images of them."""
  def draw(model):
    latents = model.spec.sample(rng, n)
    return latents, model.generate(latents=latents)
  return PerModel(draw)


def run_all(evaluators: Sequence[Evaluator], model) -> Dict:
  """The evaluators' metrics in their order, then 'figures': every figure they drew, and
  'seconds': each evaluator's wall time by class name (shared inputs, such as the
  generated samples, count for the first evaluator that asks for them)."""
  metrics, figures, seconds = {}, {}, {}
  for evaluator in evaluators:
    start = time.perf_counter()
    result = dict(evaluator.run(model))
    name = type(evaluator).__name__
    seconds[name] = round(seconds.get(name, 0.0) + time.perf_counter() - start, 2)
    figures.update(result.pop('figures', {}))
    metrics.update(result)
  metrics['figures'] = figures
  metrics['seconds'] = seconds
  return metrics
