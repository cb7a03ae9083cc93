"""What a continuous code controls (infogan_jax/evaluation/continuous_codes.py), on a
stand-in generator whose first code slants a stroke and whose second thickens it."""
import types

import jax
import numpy as np
import pytest

from infogan_jax.evaluation import continuous_codes


def _strokes(shears, inks):
  images = np.zeros((len(shears), 28, 28, 1), np.float32)
  for i, (shear, ink) in enumerate(zip(shears, inks)):
    for row in range(4, 24):
      images[i, row, int(round(14 + shear * (14 - row))), 0] = ink
  return images


class _StrokeModel:
  """G(z, c, cont): a one-pixel stroke, sheared by cont[0], its ink scaled by cont[1]."""
  spec = types.SimpleNamespace(categorical=(2,), continuous=2,
                               sample_noise=lambda rng, n: np.zeros((n, 3), np.float32))
  config = types.SimpleNamespace(model=types.SimpleNamespace(output_activation='sigmoid'))

  def __init__(self):
    self.asked = []

  def generate(self, noise, cat, cont):
    self.asked.append((len(noise), np.asarray(cat)))
    return _strokes(0.2 * cont[:, 0], 0.5 + 0.1 * cont[:, 1])


@pytest.mark.filterwarnings('ignore:An input array is constant')
def test_each_code_correlates_with_what_it_changes_and_not_with_the_rest():
  model = _StrokeModel()
  out = continuous_codes.ContinuousCodesEvaluator(jax.random.key(0), num_noise=3).run(model)
  codes = out['continuous_codes']
  assert set(codes) == {'cont0', 'cont1'}
  assert codes['cont0']['slant_spearman'] == pytest.approx(1.0)
  assert codes['cont1']['thickness_spearman'] == pytest.approx(1.0)
  # Shearing keeps the ink: no thickness correlation to report.
  assert np.isnan(codes['cont0']['thickness_spearman'])
  # Every category, num_noise noises each, every sweep value.
  sweep = len(continuous_codes.SWEEP_VALUES)
  assert [n for n, _ in model.asked] == [2 * 3 * sweep] * 2
  assert np.bincount(model.asked[0][1]).tolist() == [3 * sweep] * 2
