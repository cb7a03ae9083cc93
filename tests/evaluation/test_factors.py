"""Q's codes as discrete columns for the MIG (infogan_jax/evaluation/factors.py)."""
import types

import numpy as np

from infogan_jax.evaluation import disentanglement
from infogan_jax.evaluation import factors


def test_inferred_codes_are_each_codes_category_and_binned_mean():
  cat0 = np.eye(3)[[2, 0, 1, 2]] * 0.9 + 0.03
  posterior = {'cat_probs': [cat0, None],   # code 1 is CGAN's condition: Q does not predict it
               'cont_mean': np.array([[-1.0, 5.0], [0.0, 5.0], [1.0, 5.0], [0.95, 5.0]])}
  codes, names = factors.inferred_codes(posterior, types.SimpleNamespace(continuous=2))
  assert names == ['cat0', 'cont0', 'cont1']
  np.testing.assert_array_equal(codes[:, 0], [2, 0, 1, 2])
  assert codes[0, 1] == 0 and codes[2, 1] == codes[3, 1] == disentanglement.BINS - 1
  assert len(set(codes[:, 2])) == 1   # a constant mean falls in one bin
  codes, names = factors.inferred_codes(posterior, types.SimpleNamespace(continuous=0))
  assert names == ['cat0'] and codes.shape == (4, 1)
